<?php
throw new RuntimeException('boom from exception.php');
