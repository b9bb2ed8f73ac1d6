import NVMe
import PCIe
import Testing

@Suite("Identify (NVMe Base §5.15)")
struct AdminIdentifyTests {
    @Test("Identify Controller: EBS ids, serial, model, MDTS, queue entry sizes, NN, ONCS, FNA, SANICAP, bdev name")
    func controllerEBS() throws {
        let t = try NVMeBench.ready()
        let (c, id) = try t.adminData(.identify, cdw10: 1)
        #expect(c.status == .success)
        #expect(le(id, 0, as: UInt16.self) == 0x1d0f && le(id, 2, as: UInt16.self) == 0x1d0f)
        #expect(ascii(id, 4..<24) == "vol0123456789abcdef0")
        #expect(ascii(id, 24..<64) == "Amazon Elastic Block Store" + String(repeating: " ", count: 14))
        #expect(id[77] == 5)
        #expect(le(id, 80, as: UInt32.self) == 0x0001_0400)
        #expect(le(id, 256, as: UInt16.self) == 0x2, "OACS: format only")
        #expect(id[259] == 3, "AERL")
        #expect(id[260] == 0x3, "one read-only firmware slot")
        #expect(le(id, 320, as: UInt16.self) == 10, "KAS")
        #expect(le(id, 328, as: UInt32.self) == 1 << 29 | 0x2, "SANICAP: block erase, no crypto erase unencrypted")
        #expect(id[512] == 0x66 && id[513] == 0x44)
        #expect(le(id, 516, as: UInt32.self) == 1)
        #expect(le(id, 520, as: UInt16.self) == 0x9D, "ONCS: compare, DSM, write zeroes, save/select, verify")
        #expect(id[524] == 0x3, "FNA without crypto erase")
        #expect(id[525] == 0x7)
        #expect(le(id, 536, as: UInt32.self) == 1, "SGLs supported")
        #expect(ascii(id, 768..<795) == "nqn.2014.08.org.nvmexpress:")
        #expect(ascii(id, 3072..<3104) == "/dev/sdf" + String(repeating: " ", count: 24))
    }

    @Test("Identify Controller of encrypted instance storage advertises crypto erase in FNA and SANICAP")
    func controllerInstanceStore() throws {
        let t = try NVMeBench.ready(instanceStoreConfiguration())
        let (_, id) = try t.adminData(.identify, cdw10: 1)
        #expect(ascii(id, 24..<56) == "Amazon EC2 NVMe Instance Storage")
        #expect(ascii(id, 4..<24) == "AWS1234567890ABCDEF0")
        #expect(id[524] == 0x7)
        #expect(le(id, 328, as: UInt32.self) & 0x3 == 0x3)
        #expect(id[3072] == 0)
    }

    @Test("Identify Namespace: NSZE/NCAP/NUSE, two LBA formats, FLBAS, DLFEAT reads zeroes")
    func namespace() throws {
        let t = try NVMeBench.ready()
        #expect(try t.write(pattern(1024, seed: 1), at: 4) == .success)
        let (c, id) = try t.adminData(.identify, nsid: 1, cdw10: 0)
        #expect(c.status == .success)
        #expect(le(id, 0, as: UInt64.self) == 2048)
        #expect(le(id, 8, as: UInt64.self) == 2048)
        #expect(le(id, 16, as: UInt64.self) == 2)
        #expect(id[25] == 1, "NLBAF zero-based: two formats")
        #expect(id[26] == 0)
        #expect(id[33] & 0x7 == 1)
        #expect(le(id, 128, as: UInt32.self) >> 16 & 0xFF == 9)
        #expect(le(id, 132, as: UInt32.self) >> 16 & 0xFF == 12)
    }

    @Test("Identify Namespace of NSID 0, 2 or broadcast is Invalid Namespace or Format")
    func namespaceInvalid() throws {
        let t = try NVMeBench.ready()
        for nsid: UInt32 in [0, 2, 0xFFFF_FFFF] {
            #expect(try t.adminData(.identify, nsid: nsid, cdw10: 0).0.status == .invalidNamespaceOrFormat)
        }
    }

    @Test("Active namespace list: [1] after NSID 0, empty after 1, error for FFFFFFFE/FFFFFFFF")
    func activeList() throws {
        let t = try NVMeBench.ready()
        let (_, list) = try t.adminData(.identify, nsid: 0, cdw10: 2)
        #expect(le(list, 0, as: UInt32.self) == 1 && le(list, 4, as: UInt32.self) == 0)
        let (_, after) = try t.adminData(.identify, nsid: 1, cdw10: 2)
        #expect(after.allSatisfy { $0 == 0 })
        #expect(try t.adminData(.identify, nsid: 0xFFFF_FFFE, cdw10: 2).0.status == .invalidNamespaceOrFormat)
    }

    @Test("Namespace identification descriptors: EUI-64, NGUID and UUID, stable across controllers")
    func descriptors() throws {
        let t = try NVMeBench.ready()
        let (c, d) = try t.adminData(.identify, nsid: 1, cdw10: 3)
        #expect(c.status == .success)
        #expect(d[0] == 1 && d[1] == 8)
        #expect(d[12] == 2 && d[13] == 16)
        #expect(d[32] == 3 && d[33] == 16)
        #expect(d[36 + 6] >> 4 == 4, "UUID version 4 layout")
        #expect(d[52] == 0, "terminator")
        let again = try NVMeBench.ready()
        #expect(try again.adminData(.identify, nsid: 1, cdw10: 3).1 == d)
    }

    @Test("Unsupported CNS is Invalid Field; the data transfer honours a PRP1 offset across two pages")
    func cnsAndOffset() throws {
        let t = try NVMeBench.ready()
        #expect(try t.adminData(.identify, cdw10: 0x10).0.status == .invalidField)
        let buffer = try t.access.allocateDMA(8192)
        let c = try t.adminCommand(
            .identify, cdw10: 1, prp1: buffer.deviceAddress(at: 0x100).value, prp2: buffer.deviceAddress(at: 4096).value)
        #expect(c.status == .success)
        #expect(buffer.host[0x100] == 0x0f && buffer.host[0x101] == 0x1d)
        #expect(buffer.host[0x100 + 3072] == UInt8(ascii: "/"))
    }
}
