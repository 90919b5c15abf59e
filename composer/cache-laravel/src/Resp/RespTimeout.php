<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Resp;

/** No reply (or no room to send) within the URL's timeout: the command may have run, so it is never resent. */
final class RespTimeout extends RespStreamBroken
{
}
