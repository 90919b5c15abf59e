<?php
// A 20 KB HTML page rendered by PHP: a table built from an array.
$rows = [];
for ($i = 0; $i < 270; $i++) {
    $rows[] = ['id' => $i, 'name' => "Item number $i", 'price' => $i * 1.25, 'tags' => ['a', 'b', 'c']];
}
?><!doctype html>
<html><head><meta charset="utf-8"><title>Catalogue</title></head>
<body><h1>Catalogue</h1><table>
<?php foreach ($rows as $r): ?>
<tr><td><?= $r['id'] ?></td><td><?= htmlspecialchars($r['name']) ?></td><td><?= number_format($r['price'], 2) ?></td><td><?= implode(',', $r['tags']) ?></td></tr>
<?php endforeach; ?>
</table></body></html>
