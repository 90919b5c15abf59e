<?php
ob_start();
echo "inner";
$inner = ob_get_clean();
ob_start(fn($buf) => strtoupper($buf));
echo "buffered {$inner}\n";
ob_end_flush();
echo "level=" . ob_get_level() . "\n";
