<?php
// Worker-mode hello world: boots once, answers every request.
while (ephpm_handle_request(function () {
    echo "hello";
})) {
}
