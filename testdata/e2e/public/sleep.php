<?php
$s = (float)($_GET['s'] ?? 1);
usleep((int)($s * 1000000));
echo "slept $s\n";
