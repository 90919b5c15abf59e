<?php
// A 100 KB HTML page for the compression rows of make bench
// (scripts/bench-front.sh): a product listing whose rows vary by index,
// deterministic, so it compresses like real markup (about 8-10x with gzip),
// not like one repeated string (which would compress 1000x and measure nothing).
$words = ['alpine', 'basalt', 'cobalt', 'dune', 'ember', 'fjord', 'granite', 'harbor',
    'indigo', 'juniper', 'kelp', 'lagoon', 'meadow', 'nectar', 'obsidian', 'prairie'];
$out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Catalogue</title>"
    . "<link rel=\"stylesheet\" href=\"/assets/app.css\"></head>\n<body><main class=\"container\">\n"
    . "<table class=\"table table-striped\"><thead><tr><th>#</th><th>Name</th><th>SKU</th>"
    . "<th>Price</th><th>Stock</th><th>Description</th></tr></thead><tbody>\n";
for ($i = 1; strlen($out) < 102400 - 200; $i++) {
    $a = $words[($i * 7) % 16];
    $b = $words[($i * 11 + 3) % 16];
    $c = $words[($i * 13 + 5) % 16];
    $out .= sprintf(
        "<tr id=\"row-%d\" class=\"%s\"><td>%d</td><td><a href=\"/products/%s-%s-%d\">%s %s</a></td>"
        . "<td><code>%s-%05d</code></td><td class=\"num\">%d.%02d</td><td>%d</td>"
        . "<td>The %s %s, finished in %s, ships in %d days.</td></tr>\n",
        $i, $i % 2 ? 'odd' : 'even', $i, $a, $b, $i, ucfirst($a), $b,
        strtoupper(substr($c, 0, 3)), ($i * 7919) % 100000, 5 + ($i * 37) % 495, ($i * 53) % 100,
        ($i * 101) % 1000, $a, $b, $c, 1 + $i % 14
    );
}
$out .= "</tbody></table></main>\n<footer><p>&copy; Example shop</p></footer></body></html>\n";
header('Content-Type: text/html; charset=utf-8');
echo str_pad($out, 102400); // exactly 100 KB
