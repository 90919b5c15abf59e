package e2e

// Session 12 review (A) of session 11's stack guard: every
// zend_call_function door (array_map and friends, magic methods,
// ArrayAccess, Iterator, autoload, serialize hooks, output and error
// handlers, Fibers) goes through stackguard.c's interposed
// zend_call_function (the shared libphp) or the linker's --wrap wrappers
// (the single binary). A wrapper that dropped or garbled a return value,
// or a guard that fired on a deep but finite recursion, changes what a
// script prints: the script prints every callback's value, and `ephpm php`
// and the server must print what Debian's php prints.

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const callbacks12PHP = `<?php
// Every door to zend_call_function, with the value each callback returns printed.
spl_autoload_register(function ($c) { if ($c === 'Auto12') { eval('class Auto12 { const V = "autoloaded"; }'); } });
class S12 implements Stringable { function __toString(): string { return "str!"; } }
class M12 {
    private $d = ['a' => 1];
    function __get($n) { return "get:$n"; }
    function __set($n, $v) { $this->d[$n] = "set:$v"; }
    function __isset($n) { return $n === 'yes'; }
    function __unset($n) { unset($this->d[$n]); }
    function __call($n, $a) { return "call:$n(" . implode(',', $a) . ")"; }
    static function __callStatic($n, $a) { return "static:$n"; }
    function __invoke($x) { return $x * 3; }
    function __debugInfo() { return ['debug' => true]; }
    function d() { return $this->d; }
}
class A12 implements ArrayAccess, Countable, IteratorAggregate, JsonSerializable {
    function offsetGet($o): mixed { return "og:$o"; }
    function offsetSet($o, $v): void {}
    function offsetExists($o): bool { return $o === 1; }
    function offsetUnset($o): void {}
    function count(): int { return 42; }
    function getIterator(): Iterator { return new ArrayIterator([7, 8, 9]); }
    function jsonSerialize(): mixed { return ['j' => 1]; }
}
class I12 implements Iterator {
    private $i = 0;
    function current(): mixed { return $this->i * 10; }
    function key(): mixed { return "k{$this->i}"; }
    function next(): void { $this->i++; }
    function rewind(): void { $this->i = 0; }
    function valid(): bool { return $this->i < 3; }
}
class Ser12 { public $v = 1; function __serialize(): array { return ['v' => 5]; } function __unserialize(array $a): void { $this->v = $a['v'] + 1; } }
class W12 { function __wakeup() { $this->w = 'woke'; } public $w; function __sleep() { return ['w']; } }
class Cl12 { public $c = 0; function __clone() { $this->c = 'cloned'; } }
$m = new M12; $a = new A12;
$out = [];
$out[] = array_map(fn($x) => $x + 1, [1, 2]);
$out[] = array_map([$m, '__invoke'], [2]);
$out[] = array_map($m, [4]);
$u = [3, 1, 2]; usort($u, fn($x, $y) => $x <=> $y); $out[] = $u;
$k = ['b' => 1, 'a' => 2]; uksort($k, 'strcmp'); $out[] = $k;
$out[] = array_filter([1, 2, 3, 4], fn($x) => $x % 2);
$out[] = array_reduce([1, 2, 3], fn($c, $x) => $c + $x, 10);
$w = [1, 2]; array_walk($w, function (&$v, $k) { $v = $v * 100; }); $out[] = $w;
$out[] = call_user_func('strtoupper', 'abc');
$out[] = call_user_func_array([$m, 'anything'], [1, 2]);
$out[] = call_user_func('M12::stat');
$out[] = preg_replace_callback('/\d/', fn($mm) => $mm[0] * 2, 'a1b2');
$out[] = (string)new S12;
$out[] = str_repeat(new S12, 2);
$out[] = $m->foo;
$m->bar = 'x'; $out[] = $m->d();
$out[] = [isset($m->yes), isset($m->no)];
$out[] = $m->method(9);
$out[] = M12::other();
$out[] = [$a[5], isset($a[1]), isset($a[2]), count($a)];
$out[] = iterator_to_array($a);
$r = []; foreach (new I12 as $kk => $vv) { $r[$kk] = $vv; } $out[] = $r;
$out[] = iterator_to_array(new I12);
$out[] = json_encode($a);
$out[] = unserialize(serialize(new Ser12))->v;
$out[] = unserialize(serialize((function () { $x = new W12; $x->w = 's'; return $x; })()))->w;
$out[] = (clone new Cl12)->c;
$out[] = Auto12::V;
ob_start(fn($buf) => strtoupper($buf)); echo "buffered"; $out[] = ob_get_flush() === 'buffered'; echo "\n";
set_error_handler(fn($no, $str) => true); $out[] = @$undefinedVar12 === null; trigger_error('x'); restore_error_handler();
$out[] = (new ReflectionMethod('M12', 'd'))->invoke($m);
$out[] = Closure::fromCallable('strrev')('abc');
$out[] = (function () { yield 1; yield 2; })()->current();
$gen = (function () { $x = yield 1; return $x * 2; })(); $gen->current(); $gen->send(21); $out[] = $gen->getReturn();
$f = new Fiber(function ($x) { $y = Fiber::suspend($x + 1); return array_map(fn($z) => $z * 2, [$y]); });
$out[] = [$f->start(1), $f->resume(5), $f->getReturn()];
// A deep but finite recursion through an internal function and through
// __get (zend_call_function on the C stack), each level's value coming
// back up: far from the guard's reserve, it must run as in php.
$g = function ($n) use (&$g) { return $n === 0 ? 0 : 1 + array_sum(array_map($g, [$n - 1])); };
$out[] = $g(3000);
class Deep12 { function __get($n) { $i = (int)substr($n, 1); return $i === 0 ? 0 : 1 + $this->{'p' . ($i - 1)}; } }
$out[] = (new Deep12)->p2000;
ob_start(); var_dump($m); $out[] = strlen(ob_get_clean()) > 0;
echo json_encode($out), "\n";
register_shutdown_function(function () { echo "shutdown ran\n"; });
`

// callbacks12Want is what Debian's php 8.2 prints for callbacks12PHP (also
// checked against /usr/bin/php when it is installed).
const callbacks12Want = `BUFFERED
[[2,3],[6],[12],[1,2,3],{"a":2,"b":1},{"0":1,"2":3},16,[100,200],"ABC","call:anything(1,2)","static:stat","a2b4","str!","str!str!","get:foo",{"a":1,"bar":"set:x"},[true,false],"call:method(9)","static:other",["og:5",true,false,42],[7,8,9],{"k0":0,"k1":10,"k2":20},{"k0":0,"k1":10,"k2":20},"{\"j\":1}",6,"woke","cloned","autoloaded",true,true,{"a":1,"bar":"set:x"},"cba",1,42,[2,null,[10]],3000,2000,true]
shutdown ran
`

func TestSpecAudit12aEveryCallbackReturnsItsValue(t *testing.T) {
	root := t.TempDir()
	script := filepath.Join(root, "cb.php")
	must(t, os.WriteFile(script, []byte(callbacks12PHP), 0o644))
	if php, err := exec.LookPath("php"); err == nil {
		out, err := exec.Command(php, "-n", script).CombinedOutput()
		if err != nil || string(out) != callbacks12Want {
			t.Fatalf("the reference itself: php printed %v\n%s", err, out)
		}
	}
	code, stdout, stderr := cliRun{dir: root}.php(t, script)
	if code != 0 || stdout != callbacks12Want {
		t.Errorf("ephpm php: exit %d, printed\n%s\nstderr %s\nwant\n%s", code, stdout, stderr, callbacks12Want)
	}
	s := start(t, root, "")
	for i := 0; i < 2; i++ { // (the second: no state left from the first)
		r := s.get(t, "/cb.php")
		expectStatus(t, r, 200, "cb.php")
		if r.Body != callbacks12Want {
			t.Errorf("the server, request %d, printed\n%s\nwant\n%s", i, r.Body, callbacks12Want)
		}
	}
}
