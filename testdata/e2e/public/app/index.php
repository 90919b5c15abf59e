<?php echo "app index, SCRIPT_NAME=", $_SERVER["SCRIPT_NAME"];
