// Stack buffers on the request path (key hashing, number formatting, path splitting) are always
// written before they are read, so the runtime need not zero them on every call.
[module: System.Runtime.CompilerServices.SkipLocalsInit]
