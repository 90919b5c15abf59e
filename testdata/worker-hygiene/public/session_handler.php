<?php
// A worker script that registers its own session save handler while
// booting (sessions kept in this worker's memory): the handler is part of
// the baseline and must survive the per-request session reset.
final class MemoryHandler implements SessionHandlerInterface
{
    public array $store = [];
    public int $writes = 0;
    public int $closes = 0;

    public function open(string $path, string $name): bool { return true; }
    public function close(): bool { $this->closes++; return true; }
    public function read(string $id): string|false { return $this->store[$id] ?? ''; }
    public function write(string $id, string $data): bool { $this->writes++; $this->store[$id] = $data; return true; }
    public function destroy(string $id): bool { unset($this->store[$id]); return true; }
    public function gc(int $max): int|false { return 0; }
}

$handler = new MemoryHandler();
session_set_save_handler($handler, true);
$boot = bin2hex(random_bytes(8));

while (ephpm_handle_request(function () use ($handler, $boot) {
    $report = ['boot' => $boot, 'status_before' => session_status(), 'writes_before' => $handler->writes, 'closes_before' => $handler->closes];
    if (isset($_GET['start'])) {
        session_start();
        $_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
        $report['n'] = $_SESSION['n'];
        $report['id'] = session_id();
    }
    $report['module'] = session_module_name();
    echo json_encode($report);
})) {
}
