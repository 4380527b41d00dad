//! The program's allocator: mimalloc, not glibc's malloc, called without its
//! aligned entry points when the alignment asked for is one every block has.
//!
//! A run allocates and frees many small strings per traced event (about 200
//! allocations a recipient in a list post), and `serve` frees on one thread
//! what another allocated (trace lines, messages); glibc's malloc and free were
//! a fifth of the instructions of a 10,000-member post (callgrind) and its
//! arena locks showed in serve's profile (bench/RESULTS.md, "eleventh round").
//!
//! The `mimalloc` crate's allocator passes every request to
//! `mi_malloc_aligned`, whose fast path only serves blocks of up to 1 KiB found
//! already aligned and falls back to a slower generic path for the rest (a
//! message's buffers, a stored copy, a batch of trace lines). Every mimalloc
//! block is aligned to at least a machine word (its size classes are whole
//! words), so a request for that alignment or less is an ordinary `mi_malloc`;
//! only the rare larger alignments take the aligned calls. Measured in
//! bench/RESULTS.md ("fourteenth round"). The library (tests, fuzz targets)
//! keeps the system allocator.

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// The alignment of every block mimalloc hands out: one machine word.
const WORD: usize = std::mem::size_of::<usize>();

pub struct MiMalloc;

/// `plain(size)` when every mimalloc block has the alignment asked for,
/// else `aligned(size, alignment)`.
#[inline(always)]
unsafe fn by_alignment(
    layout: Layout,
    plain: unsafe extern "C" fn(usize) -> *mut c_void,
    aligned: unsafe extern "C" fn(usize, usize) -> *mut c_void,
) -> *mut u8 {
    // SAFETY: the callers pass mimalloc's own allocation functions.
    let block =
        unsafe { if layout.align() <= WORD { plain(layout.size()) } else { aligned(layout.size(), layout.align()) } };
    block as *mut u8
}

// SAFETY: every call passes mimalloc a size and, where it matters, an
// alignment from the Layout; blocks of alignment up to WORD come from the
// unaligned calls, whose blocks are word-aligned (mimalloc's size classes are
// whole words), and a block is always freed or resized by mimalloc itself.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc's allocation calls, given the Layout's values.
        unsafe { by_alignment(layout, mi::mi_malloc, mi::mi_malloc_aligned) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe { by_alignment(layout, mi::mi_zalloc, mi::mi_zalloc_aligned) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { mi::mi_free(ptr as *mut c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout`; the block keeps
        // its alignment class, so a word-aligned one stays with the plain call.
        unsafe {
            if layout.align() <= WORD {
                mi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
            } else {
                mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks of 1 to 160 octets and eight larger sizes up to 64 KiB, asked
    /// for at alignments of 1 to 128 octets and 4 KiB, come back aligned,
    /// writable, resizable (contents kept), zeroed when asked and freeable.
    /// (A cut-off of 16 fails here: the second block of a page of 8-octet
    /// blocks is not 16-aligned.)
    #[test]
    fn blocks_are_aligned_as_asked() {
        let a = MiMalloc;
        let mut sizes: Vec<usize> = (1..=160).collect();
        sizes.extend([255, 256, 1000, 1024, 1025, 4096, 8191, 65536]);
        for align in [1, 2, 4, 8, 16, 32, 64, 128, 4096] {
            for &size in &sizes {
                let Ok(layout) = Layout::from_size_align(size, align) else { continue };
                // SAFETY: the layout has a non-zero size; the block is written
                // within its size and freed with the layout it was made with.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    p.write_bytes(0xa5, size);
                    let q = a.realloc(p, layout, size * 3);
                    assert_eq!(q as usize % align, 0, "realloc size {size} align {align}");
                    assert_eq!(*q.add(size - 1), 0xa5);
                    a.dealloc(q, Layout::from_size_align_unchecked(size * 3, align));
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zeroed size {size} align {align}");
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
