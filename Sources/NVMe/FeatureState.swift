/// Current values of the features Get/Set Features knows (NVMe Base §5.21.1). Everything returns
/// to these defaults at a controller reset; nothing is saveable.
struct FeatureState {
    /// Arbitration: AB 2:0, LPW, MPW, HPW.
    var arbitration: UInt32 = 0
    /// Power Management: PS 4:0 (only state 0 exists), WH 7:5.
    var powerManagement: UInt32 = 0
    /// Composite temperature over-threshold, Kelvin.
    var overTemperature: UInt16 = 343
    /// Composite temperature under-threshold, Kelvin.
    var underTemperature: UInt16 = 0
    /// Volatile Write Cache enable.
    var volatileWriteCache = true
    /// Interrupt Coalescing: THR 7:0, TIME 15:8 (recorded; every doorbell signals once).
    var interruptCoalescing: UInt32 = 0
    /// Interrupt Vector Configuration: coalescing disabled, one bit per vector.
    var coalescingDisabled = [UInt64](repeating: 0, count: 4)
    /// Write Atomicity Normal: DN bit 0.
    var writeAtomicityNormal: UInt32 = 0
    /// Asynchronous Event Configuration (SMART critical warnings 7:0, notices 8+).
    var asyncEventConfiguration: UInt32 = 0
    /// Keep Alive Timeout, milliseconds (0: off).
    var keepAliveTimeout: UInt32 = 0
    /// Whether Set Features Number of Queues has been issued since the last reset.
    var numberOfQueuesSet = false
}
