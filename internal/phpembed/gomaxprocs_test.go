package phpembed

import (
	"testing"
	"time"
)

// The tuner's choice between CPUs + PHP threads + 1 (high, worker mode)
// and CPUs + 1 (low) on a 2-CPU machine with 2 PHP threads.
func TestProcsTunerDecide(t *testing.T) {
	tu := newProcsTuner(2, 2, true)
	if tu == nil || tu.high != 5 || tu.low != 3 {
		t.Fatalf("newProcsTuner(2, 2, worker mode) = %+v, want high 5, low 3", tu)
	}
	sec := time.Second
	// n requests of mean d each in one second, the process using cpu of
	// the 2 CPUs, the machine busy at machine.
	sample := func(n int64, d time.Duration, cpu, machine float64) procsSample {
		return procsSample{requests: n, php: time.Duration(n) * d, elapsed: sec,
			cpu: time.Duration(cpu * float64(sec)), machineBusy: machine}
	}
	cases := []struct {
		name string
		cur  int
		s    procsSample
		want int
	}{
		{"Laravel-like requests on busy CPUs: low", 5, sample(500, 3700*time.Microsecond, 1.95, 0.98), 3},
		{"long requests, the machine busy with other work: low", 5, sample(100, 2*time.Millisecond, 0.6, 0.95), 3},
		{"hello-world requests on busy CPUs: stays high", 5, sample(30000, 30*time.Microsecond, 1.95, 0.98), 5},
		{"long requests on idle CPUs (I/O-bound PHP): stays high", 5, sample(200, 10*time.Millisecond, 0.3, 0.2), 5},
		{"between the thresholds: stays high", 5, sample(8000, 200*time.Microsecond, 1.9, 1), 5},
		{"between the thresholds: stays low", 3, sample(8000, 200*time.Microsecond, 1.9, 1), 3},
		{"busy between the thresholds: stays low", 3, sample(300, 3*time.Millisecond, 1.2, 0.6), 3},
		{"requests got short: back to high", 3, sample(30000, 40*time.Microsecond, 1.9, 1), 5},

		{"no requests, idle: stays low (the next load is most likely the last one)", 3, sample(0, 0, 0.01, 0.05), 3},
		{"no requests, idle: stays high", 5, sample(0, 0, 0.01, 0.05), 5},
		{"no requests finished, CPUs busy (requests longer than the period): stays low", 3, sample(0, 0, 1.9, 1), 3},
		{"no time passed: unchanged", 3, procsSample{}, 3},
	}
	for _, c := range cases {
		tu := newProcsTuner(2, 2, true)
		if got := tu.decide(c.cur, c.s); got != c.want {
			t.Errorf("%s: decide(%d) = %d, want %d", c.name, c.cur, got, c.want)
		}
	}
	// A light load (long requests, CPUs mostly idle) brings it back to
	// high after procsLightPeriods in a row; the period in which a load
	// ends alone does not, nor do idle periods between loads.
	heavy := sample(500, 3700*time.Microsecond, 1.95, 0.98)
	light := sample(50, 3*time.Millisecond, 0.1, 0.1)
	idle := sample(0, 0, 0, 0.02)
	tu = newProcsTuner(2, 2, true)
	seq := []struct {
		s    procsSample
		want int
	}{
		{heavy, 3}, {light, 3}, {idle, 3}, {idle, 3}, {heavy, 3}, {light, 3}, {light, 3}, {light, 5}, {light, 5}, {heavy, 3},
	}
	cur := tu.high
	for i, st := range seq {
		if cur = tu.decide(cur, st.s); cur != st.want {
			t.Fatalf("period %d: GOMAXPROCS %d, want %d", i, cur, st.want)
		}
	}
	// Request mode has two spare Ps, worker mode one; one PHP thread still
	// has them to give up; many PHP threads on few CPUs count as many as
	// the CPUs.
	for _, c := range []struct {
		cpus, n    int
		workerMode bool
		high, low  int
	}{{2, 2, false, 6, 3}, {4, 1, true, 6, 5}, {4, 1, false, 7, 5}, {1, 4, true, 3, 2}, {8, 32, false, 18, 9}} {
		tu := newProcsTuner(c.cpus, c.n, c.workerMode)
		if tu == nil || tu.high != c.high || tu.low != c.low {
			t.Errorf("newProcsTuner(%d, %d, worker mode %v) = %+v, want high %d, low %d", c.cpus, c.n, c.workerMode, tu, c.high, c.low)
		}
	}
}

// /proc/stat's first line, read twice a little apart, shows time passing.
func TestMachineCPU(t *testing.T) {
	b1, t1, ok := machineCPU()
	if !ok {
		t.Skip("no /proc/stat")
	}
	if b1 > t1 || t1 == 0 {
		t.Fatalf("busy %d of total %d", b1, t1)
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		if _, t2, _ := machineCPU(); t2 > t1 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("/proc/stat's total did not move in 2 s")
}

// A GOMAXPROCS from the environment below one P per CPU and one per PHP
// thread is warned about at startup (Start); the level ephpm chooses
// itself, and anything above, is not.
func TestExplicitProcsTooFew(t *testing.T) {
	cases := []struct {
		procs, cpus, php int
		want             bool
	}{
		{2, 2, 2, true},  // Go's own default on 2 CPUs
		{3, 2, 2, true},  // one P short
		{4, 2, 2, false}, // a P per CPU and per PHP thread
		{6, 2, 2, false}, // what ephpm uses in request mode
		{1, 1, 1, true},  // the NTS build: one PHP thread
		{2, 1, 1, false},
		{8, 8, 32, true}, // many PHP threads count as many as the CPUs
		{16, 8, 32, false},
	}
	for _, c := range cases {
		if got := explicitProcsTooFew(c.procs, c.cpus, c.php); got != c.want {
			t.Errorf("explicitProcsTooFew(GOMAXPROCS %d, %d CPUs, %d PHP threads) = %v, want %v", c.procs, c.cpus, c.php, got, c.want)
		}
	}
}

// PHP threads poll the queue before parking unless GOMAXPROCS from the
// environment leaves no P beyond theirs.
func TestSpinsWith(t *testing.T) {
	cases := []struct {
		explicit   bool
		procs, php int
		want       bool
		why        string
	}{
		{false, 6, 2, true, "ephpm's own level"},
		{false, 6, 8, true, "ephpm's own level, many PHP threads"},
		{true, 2, 2, false, "GOMAXPROCS=2 with 2 PHP threads"},
		{true, 1, 1, false, "GOMAXPROCS=1, one PHP thread"},
		{true, 3, 2, true, "one P beyond the PHP threads"},
		{true, 8, 2, true, "plenty"},
	}
	for _, c := range cases {
		if got := spinsWith(c.explicit, c.procs, c.php); got != c.want {
			t.Errorf("%s: spinsWith(%v, %d, %d) = %v, want %v", c.why, c.explicit, c.procs, c.php, got, c.want)
		}
	}
}
