<?php
die("died with message\n");
