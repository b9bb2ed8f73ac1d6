/// A pool's free stack taken into locals for one loop over a batch (an RX refill, a TX
/// reclaim, a batch allocate or free), then handed back with
/// ``PacketBufferPool/commit(_:)``.
///
/// Stores through the stack and in-use pointers could alias the pool's fields as far as the
/// compiler knows, so a loop that went through the pool would reload and store its fields per
/// buffer; the cursor keeps them in registers. Between taking a cursor and committing it, only
/// the cursor may change the pool.
@usableFromInline struct FreeStackCursor {
    @usableFromInline let stack: UnsafeMutablePointer<Int32>
    @usableFromInline let used: UnsafeMutablePointer<Bool>
    @usableFromInline let capacity: Int
    /// Free buffers on the stack.
    @usableFromInline var top: Int

    @inlinable init(stack: UnsafeMutablePointer<Int32>, used: UnsafeMutablePointer<Bool>, capacity: Int, top: Int) {
        self.stack = stack
        self.used = used
        self.capacity = capacity
        self.top = top
    }

    /// Takes the buffer on top of the stack and marks it in use; nil when none is free.
    @inlinable @inline(__always) mutating func pop() -> Int32? {
        guard top > 0 else { return nil }
        top &-= 1
        let b = stack[top]
        used[Int(b)] = true
        return b
    }

    /// Puts buffer `b` back if it is one of the pool's and in use; false (and nothing changed)
    /// for any other index, which the caller counts as a bad free.
    @inlinable @inline(__always) mutating func push(_ b: Int32) -> Bool {
        // A buffer is on the stack exactly when it is not in use, so `top` stays below
        // `capacity` while only in-use buffers are pushed.
        let i = Int(b)
        // The two bounds as one unsigned compare (a negative index is a huge unsigned one).
        guard UInt(bitPattern: i) < UInt(bitPattern: capacity), used[i] else { return false }
        used[i] = false
        stack[top] = b
        top &+= 1
        return true
    }
}

extension PacketBufferPool {
    /// The free stack for one batch loop; hand it back with ``commit(_:)``.
    @inlinable var freeStackCursor: FreeStackCursor {
        FreeStackCursor(stack: freeStack, used: inUse, capacity: count, top: freeCount)
    }

    /// Takes back the free stack a ``freeStackCursor`` loop changed.
    @inlinable func commit(_ cursor: FreeStackCursor) { freeCount = cursor.top }
}
