<?php
// 103 Early Hints fixture: headers_send(103) sends the Link headers set so
// far as an interim response; the final response carries its own headers.
header('Link: </front/app.css>; rel=preload; as=style');
header('Link: </front/app.js>; rel=preload; as=script', false);
$r = headers_send(103);
header('X-Final: yes');
echo "headers_send returned $r";
