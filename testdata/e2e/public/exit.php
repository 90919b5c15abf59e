<?php
echo "before exit\n";
if (isset($_GET['status'])) {
    http_response_code((int)$_GET['status']);
}
exit(3);
echo "after exit\n";
