<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Unit;

use Ephpm\Cache\Laravel\EphpmStore;
use Ephpm\Cache\Laravel\InMemoryKvOps;
use Illuminate\Cache\RateLimiter;
use Illuminate\Cache\Repository;
use Illuminate\Http\Exceptions\ThrottleRequestsException;
use Illuminate\Http\Request;
use Illuminate\Http\Response;
use Illuminate\Routing\Middleware\ThrottleRequests;
use Illuminate\Routing\Route;
use PHPUnit\Framework\TestCase;

/**
 * Laravel's `throttle` middleware on this store: the limit holds, the 429
 * carries Retry-After, and the window ends when its keys expire (the clock
 * is moved, not waited for).
 */
final class ThrottleTest extends TestCase
{
    private float $offset = 0.0;
    private InMemoryKvOps $kv;
    private ThrottleRequests $throttle;

    protected function setUp(): void
    {
        $this->kv = new InMemoryKvOps(fn (): float => microtime(true) + $this->offset);
        $this->throttle = new ThrottleRequests(new RateLimiter(new Repository(new EphpmStore('app', $this->kv))));
    }

    private function request(string $ip): Request
    {
        $request = Request::create('/api/messages', 'POST', [], [], [], ['REMOTE_ADDR' => $ip]);
        $route = new Route('POST', '/api/messages', fn () => 'sent');
        $request->setRouteResolver(fn () => $route);
        return $request;
    }

    /** throttle:2,1 — two requests a minute. */
    private function send(Request $request): Response
    {
        return $this->throttle->handle($request, fn () => new Response('sent'), 2, 1);
    }

    public function testTheThirdRequestInAMinuteGets429(): void
    {
        $request = $this->request('10.0.0.1');
        $first = $this->send($request);
        $this->assertSame(200, $first->getStatusCode());
        $this->assertSame('2', $first->headers->get('X-RateLimit-Limit'));
        $this->assertSame('1', $first->headers->get('X-RateLimit-Remaining'));
        $this->assertSame('0', $this->send($request)->headers->get('X-RateLimit-Remaining'));

        try {
            $this->send($request);
            $this->fail('the third request went through');
        } catch (ThrottleRequestsException $e) {
            $this->assertSame(429, $e->getStatusCode());
            $retryAfter = (int) $e->getHeaders()['Retry-After'];
            $this->assertGreaterThan(0, $retryAfter);
            $this->assertLessThanOrEqual(60, $retryAfter);
        }

        // Another client has its own budget.
        $this->assertSame(200, $this->send($this->request('10.0.0.2'))->getStatusCode());
    }

    public function testTheLimitResetsWhenTheWindowExpires(): void
    {
        $request = $this->request('10.0.0.3');
        $this->send($request);
        $this->send($request);
        $this->offset += 61;
        $this->assertSame(200, $this->send($request)->getStatusCode());
    }
}
