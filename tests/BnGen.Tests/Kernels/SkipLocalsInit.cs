// Generated layers live in their user's assembly, and performance-minded users compile with SkipLocalsInit, which
// leaves stackalloc'd memory uninitialized. The test assembly does the same, so that every generated kernel under test
// must initialize every scratch value it reads.
[module: System.Runtime.CompilerServices.SkipLocalsInit]
