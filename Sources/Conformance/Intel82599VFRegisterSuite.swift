import PCIe
import RegisterModel

/// VF register checks (datasheet §8.3.5) driven by `Intel82599VFRegisters.block`, run on each
/// VF: reset values after VFCTRL.RST, read-only bits, VTEICR, and the queue windows that map
/// VF queue n onto PF queue `pool × queuesPerPool + n` and nothing beyond the pool's queues.
enum Intel82599VFRegisterSuite {
    static let name = "intel82599-vf-registers"

    /// VF registers whose writes start something, not scribbled on before the reset check.
    static let sideEffectRegisters: Set<String> = [
        "VFCTRL", "VTEICR", "VTEICS", "VTEIMS", "VTEIMC", "VFMAILBOX", "VFMBMEM", "VFRXDCTL", "VFTXDCTL",
    ]

    static func run(_ f: Intel82599Fixture) -> [CheckResult] {
        let checks: [(String, (Intel82599Fixture, Int, inout CheckRecorder) -> Void)] = [
            ("§8.3.5 after VFCTRL.RST every VF register reads its spec reset value", resetValues),
            ("§8.3.5 VF read-only and reserved bits hold against writes of ones and zeros", readOnlyBits),
            ("§8.3.5.2.1 VTEICR bits clear on writing 1 and hold on 0", vteicrW1C),
            ("§8.3.5.4 VF queue registers are windows onto the PF queues of its pool (64 and 32 pools)", windows),
            ("§8.3.5.4 VF accesses beyond its pool's queues are refused with a guest error", beyondPool),
        ]
        guard f.canHaveVFs() else {
            return checks.map { CheckResult(suite: name, name: $0.0, function: f.pf.bdf, failures: [], applicable: false) }
        }
        guard f.ensureVFs() else {
            return checks.map { CheckResult(suite: name, name: $0.0, function: f.pf.bdf, failures: [f.vfProblem ?? "no VFs"]) }
        }
        var results: [CheckResult] = []
        for n in f.vfs.indices {
            for (title, body) in checks {
                results.append(
                    f.check(name, title, on: f.vfs[n].bdf) { r in
                        body(f, n, &r)
                        return true
                    })
            }
        }
        return results
    }

    /// Instances of VF register `reg` that exist for a VF with `queues` queues: the queue
    /// windows (eight instances, 0x40 apart) only up to the pool's queues.
    static func instances(_ reg: RegisterDescriptor, queues: Int) -> Range<Int> {
        reg.stride == 0x40 ? 0..<min(reg.count, queues) : 0..<reg.count
    }

    private static func resetValues(_ f: Intel82599Fixture, _ vf: Int, _ r: inout CheckRecorder) {
        guard f.resetPort(&r) else { return }
        f.poolMode()
        let queues = Intel82599Fixture.queuesPerPool(64)
        for reg in VFR.block.registers where reg.width == 4 && !sideEffectRegisters.contains(reg.name) {
            let writable = reg.writableMask & ~reg.writeOnlyMask
            guard writable != 0 else { continue }
            for n in instances(reg, queues: queues) {
                f.vfWrite(vf, reg.offset(ofInstance: n), UInt32(truncatingIfNeeded: reg.reset ^ writable))
            }
        }
        f.vfWrite(vf, VFR.VFCTRL.offset, UInt32(VFR.VFCTRL.resetField.mask))
        let links = UInt64(f.read(PFR.LINKS.offset))
        for reg in VFR.block.registers where reg.width == 4 {
            for n in instances(reg, queues: queues) {
                let at = reg.offset(ofInstance: n)
                var expected = reg.reset & ~reg.writeOnlyMask
                var mask = reg.widthMask
                switch reg.name {
                case "VFSTATUS": mask &= ~VFR.VFSTATUS.linkUp.mask
                case "VFLINKS": expected = links
                case "VFFRTIMER": mask = 0
                case "VFMAILBOX":
                    mask &= ~VFR.VFMAILBOX.rstd.mask
                    let value = f.vfRead(vf, at)
                    r.expect(VFR.VFMAILBOX.rstd.isSet(in: value), "VFMAILBOX \(hex(value)): RSTD not set after VFCTRL.RST")
                    continue
                default: break
                }
                let value = UInt64(f.vfRead(vf, at))
                let name = reg.count > 1 ? "\(reg.name)(\(n))" : reg.name
                r.expect(
                    value & mask == expected & mask,
                    "\(name) at \(hex(at)): reads \(hex(value & mask)), expected \(hex(expected & mask))")
            }
        }
    }

    private static func readOnlyBits(_ f: Intel82599Fixture, _ vf: Int, _ r: inout CheckRecorder) {
        guard f.resetPort(&r) else { return }
        f.poolMode()
        for reg in VFR.block.registers where reg.width == 4 {
            let fixed = reg.widthMask & ~reg.writableMask & ~reg.writeOneToClearMask
            guard fixed != 0 else { continue }
            let keep = reg.writableMask & ~reg.writeOnlyMask
            for n in instances(reg, queues: Intel82599Fixture.queuesPerPool(64)) {
                let at = reg.offset(ofInstance: n)
                var before = UInt64(f.vfRead(vf, at))
                if reg.readClearMask != 0 { before = UInt64(f.vfRead(vf, at)) }
                for probe in [(before & keep) | fixed, before & keep] {
                    f.vfWrite(vf, at, UInt32(truncatingIfNeeded: probe))
                    let after = UInt64(f.vfRead(vf, at))
                    r.expect(
                        after & fixed == before & fixed,
                        "\(reg.name)(\(n)) at \(hex(at)): writing \(hex(probe)) changed fixed bits \(hex(before & fixed)) to \(hex(after & fixed))"
                    )
                }
                f.vfWrite(vf, at, UInt32(truncatingIfNeeded: before & keep))
            }
        }
    }

    private static func vteicrW1C(_ f: Intel82599Fixture, _ vf: Int, _ r: inout CheckRecorder) {
        guard f.resetPort(&r) else { return }
        let at = VFR.VTEICR.offset
        f.vfWrite(vf, VFR.VTEICS.offset, 0x5)
        r.expect(f.vfRead(vf, at) == 0x5, "VTEICS 0x5 left VTEICR at \(hex(f.vfRead(vf, at)))")
        f.vfWrite(vf, at, 0)
        r.expect(f.vfRead(vf, at) == 0x5, "writing 0 changed VTEICR to \(hex(f.vfRead(vf, at)))")
        f.vfWrite(vf, at, 0x1)
        r.expect(f.vfRead(vf, at) == 0x4, "writing 1 to bit 0 left VTEICR at \(hex(f.vfRead(vf, at))), expected 0x4")
        f.vfWrite(vf, at, 0x4)
        r.expect(f.vfRead(vf, at) == 0, "writing 1 to bit 2 left VTEICR at \(hex(f.vfRead(vf, at)))")
    }

    private static func windows(_ f: Intel82599Fixture, _ vf: Int, _ r: inout CheckRecorder) {
        guard f.resetPort(&r) else { return }
        for pools in [64, 32] {
            f.poolMode(pools)
            let perPool = Intel82599Fixture.queuesPerPool(pools)
            for n in 0..<min(perPool, 8) {
                let q = vf * perPool + n
                let tag = UInt32(pools << 16 | vf << 8 | n << 4)
                let viaVF: [(String, Int, Int, UInt32)] = [
                    ("RDBAL", VFR.VFRDBAL.offset(n), PFR.RDBAL.offset(q), 0x1000_0000 | tag << 4),
                    ("RDLEN", VFR.VFRDLEN.offset(n), PFR.RDLEN.offset(q), UInt32(128 * (n + 1))),
                    ("SRRCTL", VFR.VFSRRCTL.offset(n), PFR.SRRCTL.offset(q), 0x0200_0000 | UInt32(n + 1)),
                    ("TDBAH", VFR.VFTDBAH.offset(n), PFR.TDBAH.offset(q), tag),
                    ("TDLEN", VFR.VFTDLEN.offset(n), PFR.TDLEN.offset(q), UInt32(256 * (n + 1))),
                ]
                for (name, vfAt, pfAt, value) in viaVF {
                    f.vfWrite(vf, vfAt, value)
                    r.expect(
                        f.read(pfAt) == value,
                        "\(pools) pools: VF queue \(n) \(name) write \(hex(value)) reads \(hex(f.read(pfAt))) in PF queue \(q)")
                }
                let viaPF: [(String, Int, Int, UInt32)] = [
                    ("RDBAH", VFR.VFRDBAH.offset(n), PFR.RDBAH.offset(q), tag | 1),
                    ("TDBAL", VFR.VFTDBAL.offset(n), PFR.TDBAL.offset(q), 0x2000_0000 | tag << 4),
                    ("TDWBAH", VFR.VFTDWBAH.offset(n), PFR.TDWBAH.offset(q), tag | 2),
                ]
                for (name, vfAt, pfAt, value) in viaPF {
                    f.write(pfAt, value)
                    r.expect(
                        f.vfRead(vf, vfAt) == value,
                        "\(pools) pools: PF queue \(q) \(name) \(hex(value)) reads \(hex(f.vfRead(vf, vfAt))) in VF queue \(n)")
                }
            }
        }
        f.poolMode()
    }

    private static func beyondPool(_ f: Intel82599Fixture, _ vf: Int, _ r: inout CheckRecorder) {
        guard f.resetPort(&r) else { return }
        f.poolMode()
        let perPool = Intel82599Fixture.queuesPerPool(64)
        // The first queue of the next pool, and the last PF queue a VF window could reach.
        let neighbour = (vf + 1) * perPool
        f.write(PFR.RDLEN.offset(neighbour), 0x280)
        f.write(PFR.TDLEN.offset(neighbour), 0x300)
        let bdf = f.vfs[vf].bdf
        let mark = f.guestErrorMark
        for n in [perPool, 7] {
            f.vfWrite(vf, VFR.VFRDLEN.offset(n), 0x80)
            f.vfWrite(vf, VFR.VFTDLEN.offset(n), 0x80)
            f.vfWrite(vf, VFR.VFRXDCTL.offset(n), QueueWindow.enable)
            let rdlen = f.vfRead(vf, VFR.VFRDLEN.offset(n))
            let tdlen = f.vfRead(vf, VFR.VFTDLEN.offset(n))
            r.expect(
                rdlen == 0 && tdlen == 0,
                "VF queue \(n) (beyond the pool's \(perPool)) reads RDLEN \(hex(rdlen)), TDLEN \(hex(tdlen))")
        }
        r.expect(f.read(PFR.RDLEN.offset(neighbour)) == 0x280, "VF write reached RDLEN of PF queue \(neighbour) (next pool)")
        r.expect(f.read(PFR.TDLEN.offset(neighbour)) == 0x300, "VF write reached TDLEN of PF queue \(neighbour) (next pool)")
        r.expect(!QueueWindow.pfRx(f, neighbour).enabled, "VF enabled RX queue \(neighbour) of the next pool")
        let errors = f.guestErrors(since: mark, on: bdf).count
        r.expect(errors >= 10, "\(errors) guest errors recorded against \(bdf) for 10 refused accesses")
    }
}
