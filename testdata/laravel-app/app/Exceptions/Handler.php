<?php

namespace App\Exceptions;

use Illuminate\Foundation\Exceptions\Handler as ExceptionHandler;
use Throwable;

class Handler extends ExceptionHandler
{
    /**
     * @var array<int, string>
     */
    protected $dontFlash = [
        'current_password',
        'password',
        'password_confirmation',
    ];

    /**
     * Every route of this app answers JSON, errors included (429 from the
     * throttle middleware, 419 from a CSRF mismatch, 500 ...).
     */
    protected function shouldReturnJson($request, Throwable $e)
    {
        return true;
    }
}
