<?php
header('Content-Type: application/json');
$out = ['post' => $_POST, 'files' => []];
foreach ($_FILES as $field => $f) {
    $out['files'][$field] = [
        'name' => $f['name'],
        'type' => $f['type'],
        'size' => $f['size'],
        'error' => $f['error'],
        'sha1' => $f['error'] === UPLOAD_ERR_OK ? sha1_file($f['tmp_name']) : null,
        'is_uploaded' => $f['error'] === UPLOAD_ERR_OK ? is_uploaded_file($f['tmp_name']) : false,
    ];
}
echo json_encode($out);
