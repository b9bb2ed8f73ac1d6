import Intel82599
import Network
import PCIe
import Testing

@Suite("82599 reset, EEPROM auto-read and link (datasheet §4.6.3, §8.2.3.22.20)")
struct ResetAndLinkTests {
    @Test func autoReadAndDMAInitCompleteAfterResetTime() throws {
        let nic = try NICBench()
        #expect(nic.read(R.EEC.offset) & UInt32(R.EEC.autoReadDone.mask) == 0)
        #expect(nic.read(R.RDRXCTL.offset) & UInt32(R.RDRXCTL.dmaInitDone.mask) == 0)
        nic.bus.services.clock.advance(by: .milliseconds(1))
        #expect(nic.read(R.EEC.offset) & UInt32(R.EEC.autoReadDone.mask) != 0)
        #expect(nic.read(R.RDRXCTL.offset) & UInt32(R.RDRXCTL.dmaInitDone.mask) != 0)
    }

    @Test func linkComesUpAfterAutoNegotiationAndRaisesLSC() throws {
        let nic = try NICBench()
        #expect(nic.read(R.LINKS.offset) & UInt32(R.LINKS.linkUp.mask) == 0)
        nic.settle()
        let links = UInt64(nic.read(R.LINKS.offset))
        #expect(R.LINKS.linkUp.isSet(in: links))
        #expect(R.LINKS.linkSpeed.extract(from: links) == R.LINKS.LinkSpeedValue.speed10G)
        #expect(nic.read(R.EICR.offset) & UInt32(R.EICR.lsc.mask) != 0)
        nic.write(R.EICR.offset, UInt32(R.EICR.lsc.mask))
        #expect(nic.read(R.EICR.offset) & UInt32(R.EICR.lsc.mask) == 0)
    }

    @Test func softwareResetRestoresRegistersAndPermanentAddress() throws {
        let nic = try NICBench()
        nic.settle()
        nic.write(R.RAL.offset, 0x1234_5678)
        nic.write(R.FCTRL.offset, 0x400)
        nic.write(R.CTRL.offset, UInt32(R.CTRL.resetField.mask))
        #expect(nic.read(R.FCTRL.offset) == 0)
        #expect(nic.read(R.CTRL.offset) & UInt32(R.CTRL.resetField.mask) == 0, "RST self-clears")
        #expect(nic.read(R.EEC.offset) & UInt32(R.EEC.autoReadDone.mask) == 0)
        let mac = MACAddress(receiveAddressLow: nic.read(0x05400), high: UInt16(truncatingIfNeeded: nic.read(0x05404)))
        #expect(mac == localMAC, "RAL/RAH(0) alias at 0x05400 holds the EEPROM address")
        #expect(nic.read(0x05404) & 0x8000_0000 != 0)
        nic.settle()
        #expect(nic.read(R.LINKS.offset) & UInt32(R.LINKS.linkUp.mask) != 0)
    }

    @Test func statisticsClearOnRead() throws {
        let nic = try NICBench()
        nic.settle()
        nic.write(R.FCTRL.offset, UInt32(R.FCTRL.bam.mask))
        _ = try nic.receiveRing(queue: 0, entries: 8)
        nic.inject(
            FrameBuilder.raw(
                source: peerMAC, destination: .broadcast, etherType: EtherType.arp, payload: [UInt8](repeating: 1, count: 46)))
        #expect(nic.read(R.GPRC.offset) == 1)
        #expect(nic.read(R.GPRC.offset) == 0)
        #expect(nic.read(R.BPRC.offset) == 1)
        #expect(nic.read(R.GORCL.offset) == 60)
    }

    @Test func cablePullDropsLinkAndFramesStayInside() throws {
        let nic = try NICBench()
        nic.settle()
        let device = try nic.device
        device.setLink(up: false)
        #expect(nic.read(R.LINKS.offset) & UInt32(R.LINKS.linkUp.mask) == 0)
        #expect(nic.read(R.STATUS.offset) & UInt32(R.STATUS.linkUp.mask) == 0)
        let tx = try nic.transmitRing(queue: 0, entries: 8)
        tx.post(
            0,
            FrameBuilder.raw(source: localMAC, destination: peerMAC, etherType: 0x88b5, payload: [UInt8](repeating: 7, count: 50))
        )
        nic.txTail(0, 1)
        #expect(tx.done(0))
        #expect(nic.farEnd.count == 0, "no link, nothing reaches the far end")
    }
}
