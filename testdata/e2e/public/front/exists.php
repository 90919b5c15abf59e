<?php
// Says whether ?file= exists: a request answered after another script's
// side effect sees it.
echo file_exists($_GET['file'] ?? '') ? 'yes' : 'no';
