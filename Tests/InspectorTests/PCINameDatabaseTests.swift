import Inspector
import Testing

@Suite struct PCINameDatabaseTests {
    let names: PCINameDatabase

    init() throws { names = try PCINameDatabase() }

    @Test func resolvesAmazonAndIntelDevices() {
        #expect(
            names.vendorDeviceText(vendor: 0x1d0f, device: 0xec20)
                == "Amazon.com, Inc. Elastic Network Adapter (ENA)")
        #expect(
            names.vendorDeviceText(vendor: 0x8086, device: 0x10ed)
                == "Intel Corporation 82599 Ethernet Controller Virtual Function")
        #expect(names.deviceName(vendor: 0x1d0f, device: 0x8061) == "NVMe EBS Controller")
        #expect(names.deviceName(vendor: 0x1d0f, device: 0xcd01) == "NVMe SSD Controller")
        #expect(names.deviceName(vendor: 0x8086, device: 0x10fb) == "82599ES 10-Gigabit SFI/SFP+ Network Connection")
        #expect(names.vendorName(0x8086) == "Intel Corporation")
    }

    @Test func classesAndProgrammingInterfaces() {
        #expect(names.classText(0x0200) == "Ethernet controller")
        #expect(names.classText(0x0108) == "Non-Volatile memory controller")
        #expect(names.progIfName(classCode: 0x0108, progIf: 0x02) == "NVM Express")
        #expect(names.classText(0x0200, style: .mixed) == "Ethernet controller [0200]")
        #expect(names.classText(0x0200, style: .numeric) == "0200")
    }

    @Test func unknownIdsFallBackLikeLspci() {
        #expect(names.deviceName(vendor: 0x1d0f, device: 0x7777) == nil)
        #expect(names.vendorDeviceText(vendor: 0x1d0f, device: 0x7777) == "Amazon.com, Inc. Device 7777")
        #expect(names.vendorDeviceText(vendor: 0xf00d, device: 0x1234) == "Device f00d:1234")
        #expect(names.vendorText(0xf00d) == "Vendor f00d")
        #expect(names.classText(0xee01) == "Class ee01")
        #expect(
            names.vendorDeviceText(vendor: 0x1d0f, device: 0x7777, style: .mixed)
                == "Amazon.com, Inc. Device [1d0f:7777]")
    }

    @Test func cachedLookupsAreStableAcrossThreads() async {
        await withTaskGroup(of: String?.self) { group in
            for _ in 0..<32 { group.addTask { names.vendorName(0x1d0f) } }
            for await name in group { #expect(name == "Amazon.com, Inc.") }
        }
    }

    @Test func missingIdsFileFindsNothing() {
        // libpci reports a missing file as a warning, not a failure: lookups just find nothing.
        let database = try? PCINameDatabase(idsPath: "/nonexistent/pci.ids")
        #expect(database?.vendorName(0x8086) == nil)
        #expect(database?.vendorDeviceText(vendor: 0x8086, device: 0x10fb) == "Device 8086:10fb")
    }
}
