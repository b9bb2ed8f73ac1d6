/// Functions by routing id (bus, device, function), two levels deep: a row of 256 slots per
/// bus number, made when the first function on that bus attaches. A bus of a few functions
/// then costs two small arrays, not 65536 slots to allocate, walk and destroy.
struct RoutingTable {
    private var rows: [[PCIFunction?]?] = Array(repeating: nil, count: 256)

    /// The function at routing id `rid` (0...65535).
    subscript(rid rid: Int) -> PCIFunction? {
        get {
            guard rid >= 0, rid < 65536, let row = rows[rid >> 8] else { return nil }
            return row[rid & 0xFF]
        }
        set {
            guard rid >= 0, rid < 65536 else { return }
            if rows[rid >> 8] == nil {
                guard newValue != nil else { return }
                rows[rid >> 8] = Array(repeating: nil, count: 256)
            }
            rows[rid >> 8]?[rid & 0xFF] = newValue
        }
    }

    /// Every function, by routing id.
    var functions: [PCIFunction] { rows.compactMap { $0 }.flatMap { $0.compactMap { $0 } } }
}
