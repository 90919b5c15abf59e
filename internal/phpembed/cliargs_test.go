package phpembed

import (
	"reflect"
	"testing"
)

func TestParseCLI(t *testing.T) {
	cases := []struct {
		args   []string
		action int
		script string
		code   string
		argv   []string
		msg    string
	}{
		{[]string{"s.php", "-x", "--", "y"}, cliRunScript, "s.php", "", []string{"-x", "--", "y"}, ""},
		{[]string{"-f", "s.php", "--", "-x"}, cliRunScript, "s.php", "", []string{"-x"}, ""},
		{[]string{"-r", "echo 1;", "--", "a"}, cliRunCode, "", "echo 1;", []string{"a"}, ""},
		{[]string{"-nr", "echo 1;", "a"}, cliRunCode, "", "echo 1;", []string{"a"}, ""},
		{[]string{"--run=echo 1;"}, cliRunCode, "", "echo 1;", []string{}, ""},
		{[]string{}, cliRunScript, "", "", []string{}, ""},
		{[]string{"--", "a"}, cliRunScript, "", "", []string{"a"}, ""},
		{[]string{"-l", "s.php"}, cliLint, "s.php", "", []string{}, ""},
		{[]string{"-B", "b", "-R", "r"}, cliLines, "", "r", []string{}, ""},
		{[]string{"-F", "f.php", "x"}, cliLines, "f.php", "", []string{"x"}, ""},
		{[]string{"-d", "x=1", "-v", "-x"}, cliVersion, "", "", nil, ""},
		{[]string{"-x", "-v"}, cliUsageError, "", "", nil, "-x"},
		{[]string{"-r"}, cliUsageError, "", "", nil, "-r"},
		{[]string{"-h", "-x"}, cliHelp, "", "", nil, ""},
		{[]string{"-S", "127.0.0.1:0"}, cliServer, "", "", nil, ""},
		{[]string{"-r", "1;", "-f", "s.php"}, cliParamError, "", "1;", nil, paramModeConflict},
		{[]string{"-r", "1;", "-r", "2;"}, cliParamError, "", "1;", nil, "You can use -r only once.\n"},
		{[]string{"-w", "s.php"}, cliUnsupported, "", "", nil, "-w"},
		{[]string{"--rf", "strlen"}, cliUnsupported, "", "", nil, "--rf"},
		{[]string{"--ri", "ephpm"}, cliModuleInfo, "", "ephpm", []string{}, ""},
		{[]string{"-a"}, cliShell, "", "", []string{}, ""},
	}
	for _, tc := range cases {
		c := parseCLI(tc.args)
		if c.action != tc.action || c.script != tc.script || c.code != tc.code || c.msg != tc.msg ||
			(tc.argv != nil && !reflect.DeepEqual(c.scriptArgs, tc.argv)) {
			t.Errorf("%q: action %d script %q code %q argv %q msg %q", tc.args, c.action, c.script, c.code, c.scriptArgs, c.msg)
		}
	}
	c := parseCLI([]string{"-c", "a.ini", "-dx=1", "-d=y", "--define", "z=@v", "-n", "s.php"})
	if c.iniPath != "a.ini" || !c.noIni || !reflect.DeepEqual(c.defines, []string{"x=1", "y", "z=@v"}) {
		t.Errorf("ini options: %+v", c)
	}
	if got := cliIniEntries(c.defines); got != "html_errors=0\nregister_argc_argv=1\nimplicit_flush=1\noutput_buffering=0\nmax_execution_time=0\nmax_input_time=-1\nx=1\ny=1\nz=\"@v\"\n" {
		t.Errorf("ini entries %q", got)
	}
}
