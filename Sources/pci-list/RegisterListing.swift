import DMAEngine
import Host
import Inspector
import Intel82599
import NVMe
import PCIe
import RegisterModel

/// `--regs`: a function's BAR0 registers by name and field, from the same generated DeviceSpecs
/// tables the device models use (like `ethtool -d` or `nvme show-regs`). A value that differs
/// from the spec's reset value is marked `*` with the reset value beside it. Clear-on-read and
/// write-only registers are not read (reading would change the device or return nothing).
struct RegisterListing {
    let host: VirtualHost

    /// The BAR0 register block for a function's ids, if DeviceSpecs describes it.
    static func block(vendor: UInt16, device: UInt16) -> RegisterBlock? {
        switch (vendor, device) {
        case (0x8086, 0x10fb): Intel82599PFRegisters.block
        case (0x8086, 0x10ed): Intel82599VFRegisters.block
        case (0x1d0f, 0x8061), (0x1d0f, 0xcd01): NVMeRegisters.block
        case (0x1234, 0xdb01), (0x1234, 0xdb02): DMAEngineRegisters.block
        default: nil
        }
    }

    func render(_ functions: [ListedFunction]) -> String {
        var out = ""
        for function in functions.sorted(by: { $0.snapshot.bdf < $1.snapshot.bdf }) {
            let s = function.snapshot
            out += "\(s.bdf) \(Fmt4.hex(s.vendorID)):\(Fmt4.hex(s.deviceID))"
            guard let block = Self.block(vendor: s.vendorID, device: s.deviceID) else {
                out += ": no register spec for this device\n\n"
                continue
            }
            out += " BAR0 registers (\(block.name), \(block.specReference))\n"
            let access = host.bus.access(s.bdf)
            for register in block.registers {
                out += lines(register, access)
            }
            out += "\n"
        }
        return out
    }

    private func lines(_ register: RegisterDescriptor, _ access: BusDeviceAccess) -> String {
        let clearsOnRead = register.fields.contains { $0.access == .rc }
        let writeOnly = !register.fields.isEmpty && register.fields.allSatisfy { $0.access == .wo }
        let unreadable = clearsOnRead || writeOnly
        let digits = register.width * 2
        var out = ""
        var atReset = 0
        for instance in 0..<register.count {
            let offset = register.offset(ofInstance: instance)
            let name = register.count > 1 ? "\(register.name)[\(instance)]" : register.name
            let label = "  " + Fmt4.pad(Fmt4.hex(UInt64(offset), 5), 6) + Fmt4.pad(name, 18)
            if unreadable {
                if instance == 0 { out += label + (clearsOnRead ? "(clear-on-read: not read)\n" : "(write-only)\n") }
                continue
            }
            let width: AccessWidth =
                register.width == 8 ? .qword : register.width == 2 ? .word : register.width == 1 ? .byte : .dword
            let value = access.barRead(BARIndex(clamping: 0), offset: UInt64(offset), width: width) & register.widthMask
            let differs = value != register.reset & register.widthMask
            if register.count > 1 && !differs {
                atReset += 1
                continue
            }
            out += label + Fmt4.hex(value, digits)
            if differs { out += " * reset " + Fmt4.hex(register.reset, digits) }
            out += "\n"
            let fields = register.fields.filter { $0.access != .reserved }.map { field -> String in
                let v = field.extract(from: value)
                let named = field.name(of: v).map { "(\($0))" } ?? ""
                return "\(field.name)=\(field.width == 1 ? String(v) : "0x" + String(v, radix: 16))\(named)"
            }
            if !fields.isEmpty { out += "        " + fields.joined(separator: " ") + "\n" }
        }
        if atReset > 0 {
            out += "  " + Fmt4.pad("", 6) + Fmt4.pad("\(register.name)[*]", 18)
            out += "\(atReset) of \(register.count) instances at reset value \(Fmt4.hex(register.reset, digits))\n"
        }
        return out
    }
}

/// Small formatting helpers for the register listing.
enum Fmt4 {
    static func hex(_ value: some BinaryInteger, _ digits: Int = 4) -> String {
        let s = String(value, radix: 16)
        return s.count >= digits ? s : String(repeating: "0", count: digits - s.count) + s
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
