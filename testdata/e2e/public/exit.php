<?php
if (isset($_GET['status'])) {
    http_response_code((int)$_GET['status']);
}
echo "before exit\n";
exit(3);
echo "after exit\n";
