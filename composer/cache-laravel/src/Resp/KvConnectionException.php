<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Resp;

use RuntimeException;

/**
 * The RESP endpoint could not be reached or used: refused or broken
 * connection, timeout, refused AUTH, an unexpected reply. The message names
 * the address (never the password).
 */
class KvConnectionException extends RuntimeException
{
}
