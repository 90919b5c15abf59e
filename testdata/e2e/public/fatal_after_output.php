<?php
echo "partial output\n";
flush();
undefined_function_ephpm_test();
