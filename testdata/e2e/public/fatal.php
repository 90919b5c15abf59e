<?php
// Calls a function that does not exist: a fatal error.
undefined_function_ephpm_test();
echo "not reached";
