<?php
// After fastcgi_finish_request() the script never ends: the request's
// time limit (max_execution_time) still stops it.
echo "finished early\n";
fastcgi_finish_request();
while (true) {
}
