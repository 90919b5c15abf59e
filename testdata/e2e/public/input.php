<?php
$body = file_get_contents('php://input');
header('Content-Type: text/plain');
echo strlen($body), ' ', sha1($body);
