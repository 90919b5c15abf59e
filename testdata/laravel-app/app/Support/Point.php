<?php

namespace App\Support;

// A plain value object, to show objects come back from the cache as what
// they were.
class Point
{
    public function __construct(public int $x, public int $y)
    {
    }

    public function length(): float
    {
        return sqrt($this->x ** 2 + $this->y ** 2);
    }
}
