import FuzzKit

/// libFuzzer's entry point for the `vfio-user` target: one input, one fresh served function, every
/// invariant; a broken invariant aborts so libFuzzer keeps the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzRunner.libFuzzerEntry(target: "vfio-user", UnsafeRawBufferPointer(start: data, count: size))
}
