<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Resp;

use RuntimeException;

/**
 * The stream stopped carrying RESP: closed, timed out, or framing lost. The
 * connection is unusable after it.
 */
class RespStreamBroken extends RuntimeException
{
}
