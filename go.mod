module github.com/ephpm/ephpm

go 1.26
