<?php
// Allocates until memory_limit stops it.
$a = [];
while (true) {
    $a[] = str_repeat('x', 1 << 20);
}
