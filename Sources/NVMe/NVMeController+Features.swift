extension NVMeController {
    /// Asynchronous Event Configuration bits the controller keeps: SMART critical warnings 7:0 and
    /// namespace attribute notices (bit 8).
    static let supportedAsyncEventConfiguration: UInt32 = 0x1FF
    /// Keep Alive Support granularity (KAS = 10, in 100 ms units): timeouts round up to 1 s.
    static let keepAliveGranularity: UInt32 = 1000

    /// Set Features (NVMe Base §5.21). Nothing is saveable (SV = 1 fails).
    func setFeatures(_ e: SubmissionEntry) -> CommandResult {
        let fid = UInt8(truncatingIfNeeded: e.cdw10)
        guard let feature = FeatureID(rawValue: fid) else { return reject(.invalidField, e, "feature 0x\(hex(fid))") }
        guard e.cdw10 & (1 << 31) == 0 else { return reject(.featureNotSaveable, e, "feature \(feature) is not saveable") }
        let v = e.cdw11
        switch feature {
        case .arbitration:
            features.arbitration = v & 0xFFFF_FF07
        case .powerManagement:
            guard v & 0x1F == 0 else { return reject(.invalidField, e, "power state \(v & 0x1F) (NPSS 0)") }
            features.powerManagement = v & 0xFF
        case .temperatureThreshold:
            let select = (v >> 16) & 0xF
            let kind = (v >> 20) & 3
            guard select == 0 || select == 0xF, kind <= 1 else {
                return reject(.invalidField, e, "temperature threshold sensor \(select) type \(kind)")
            }
            if kind == 0 {
                features.overTemperature = UInt16(truncatingIfNeeded: v)
            } else {
                features.underTemperature = UInt16(truncatingIfNeeded: v)
            }
        case .volatileWriteCache:
            features.volatileWriteCache = v & 1 != 0
            if !features.volatileWriteCache { _ = namespace.flush() }
        case .numberOfQueues:
            guard v & 0xFFFF != 0xFFFF, v >> 16 != 0xFFFF else { return reject(.invalidField, e, "65536 queues requested") }
            for q in 1..<queues.count where queues.submission[q].exists || queues.completion[q].exists {
                return reject(.commandSequenceError, e, "Number of Queues after I/O queues were created")
            }
            features.numberOfQueuesSet = true
            grantedIOQueues = configuration.ioQueuePairs
        case .interruptCoalescing:
            features.interruptCoalescing = v & 0xFFFF
        case .interruptVectorConfiguration:
            let vector = Int(v & 0xFFFF)
            guard vector < (msix?.vectorCount ?? 0) else { return reject(.invalidField, e, "interrupt vector \(vector)") }
            let bit: UInt64 = 1 << UInt64(vector & 63)
            if v & (1 << 16) != 0 {
                features.coalescingDisabled[vector >> 6] |= bit
            } else {
                features.coalescingDisabled[vector >> 6] &= ~bit
            }
        case .writeAtomicityNormal:
            features.writeAtomicityNormal = v & 1
        case .asyncEventConfiguration:
            features.asyncEventConfiguration = v & Self.supportedAsyncEventConfiguration
        case .keepAliveTimer:
            let g = Self.keepAliveGranularity
            features.keepAliveTimeout = v == 0 ? 0 : (v > UInt32.max - g ? UInt32.max / g * g : (v + g - 1) / g * g)
            restartKeepAliveTimer()
        }
        return .success(currentValue(feature, features, e.cdw11))
    }

    /// Get Features (NVMe Base §5.9) with Select: current, default, saved (the default: nothing is
    /// saveable) or supported capabilities (changeable, not saveable, not per namespace).
    func getFeatures(_ e: SubmissionEntry) -> CommandResult {
        let fid = UInt8(truncatingIfNeeded: e.cdw10)
        let select = (e.cdw10 >> 8) & 7
        guard let feature = FeatureID(rawValue: fid) else { return reject(.invalidField, e, "feature 0x\(hex(fid))") }
        if feature == .interruptVectorConfiguration, Int(e.cdw11 & 0xFFFF) >= (msix?.vectorCount ?? 0) {
            return reject(.invalidField, e, "interrupt vector \(e.cdw11 & 0xFFFF)")
        }
        switch select {
        case 0: return .success(currentValue(feature, features, e.cdw11))
        case 1, 2: return .success(currentValue(feature, FeatureState(), e.cdw11))
        case 3: return .success(0x4)
        default: return reject(.invalidField, e, "Get Features select \(select)")
        }
    }

    /// The Dword 0 Get Features returns for `feature` in `state` (`cdw11` picks the vector or
    /// the temperature threshold).
    private func currentValue(_ feature: FeatureID, _ state: FeatureState, _ cdw11: UInt32) -> UInt32 {
        switch feature {
        case .arbitration: return state.arbitration
        case .powerManagement: return state.powerManagement
        case .temperatureThreshold:
            let under = (cdw11 >> 20) & 3 == 1
            return UInt32(under ? state.underTemperature : state.overTemperature) | (cdw11 & 0x3F_0000)
        case .volatileWriteCache: return state.volatileWriteCache ? 1 : 0
        case .numberOfQueues:
            let n = UInt32(configuration.ioQueuePairs - 1)
            return n | n << 16
        case .interruptCoalescing: return state.interruptCoalescing
        case .interruptVectorConfiguration:
            let vector = Int(cdw11 & 0xFFFF)
            let disabled = state.coalescingDisabled[(vector >> 6) & 3] & (1 << UInt64(vector & 63)) != 0
            return UInt32(vector) | (disabled ? 1 << 16 : 0)
        case .writeAtomicityNormal: return state.writeAtomicityNormal
        case .asyncEventConfiguration: return state.asyncEventConfiguration
        case .keepAliveTimer: return state.keepAliveTimeout
        }
    }
}
