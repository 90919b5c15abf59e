<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel;

use Illuminate\Cache\Lock;

/**
 * An atomic lock in ePHPm's KV store: the key holds the owner's token.
 * Acquired with ephpm_kv_setnx (with a TTL when $seconds > 0, so a crashed
 * holder cannot keep it forever); released only by its owner with
 * ephpm_kv_del_if_equals. block(), get($callback) and owner() come from
 * Laravel's Lock.
 */
class EphpmLock extends Lock
{
    private KvOpsInterface $ops;

    /**
     * @param string $name the full KV key (store prefix included)
     */
    public function __construct(KvOpsInterface $ops, string $name, int $seconds, ?string $owner = null)
    {
        parent::__construct($name, $seconds, $owner);
        $this->ops = $ops;
    }

    /**
     * @return bool
     */
    public function acquire(): bool
    {
        return $this->ops->setnx($this->name, (string) $this->owner, max(0, (int) $this->seconds));
    }

    /**
     * Releases the lock if this owner holds it.
     *
     * @return bool
     */
    public function release(): bool
    {
        if ($this->ops->supportsDelIfEquals()) {
            return $this->ops->delIfEquals($this->name, (string) $this->owner);
        }
        // Older server: compare, then delete. Not atomic: if the lock expires
        // and someone else takes it between the two calls, that holder loses
        // it. Acceptable only as a fallback; servers with del_if_equals avoid it.
        if ($this->isOwnedByCurrentProcess()) {
            return $this->ops->del($this->name) > 0;
        }
        return false;
    }

    /**
     * Releases the lock whoever holds it.
     *
     * @return void
     */
    public function forceRelease(): void
    {
        $this->ops->del($this->name);
    }

    /**
     * @return string|null  the token in the store, null when nobody holds the lock
     */
    protected function getCurrentOwner(): ?string
    {
        return $this->ops->get($this->name);
    }
}
