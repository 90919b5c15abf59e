<?php
// What Symfony's BinaryFileResponse reads to decide on X-Sendfile.
echo $_SERVER['HTTP_X_SENDFILE_TYPE'] ?? 'none';
