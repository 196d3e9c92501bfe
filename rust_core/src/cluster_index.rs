//! Incremental connected components over opaque 16-byte keys ("customer
//! clusters").
//!
//! Layout (chosen for a budget of at most 64 heap bytes per node at ~1 edge per
//! node):
//!
//! * `keys: Vec<[u8; 16]>`: every key stored once, indexed by a `u32` node id.
//! * `table: HashTable<u32>`: key -> node id; entries are ids only, hashing and
//!   equality go through `keys` (4 bytes + 1 control byte per bucket).
//! * `nodes: Vec<Node>` (20 bytes): union-find parent, and, meaningful at roots
//!   only, component size and the id of the component's smallest key; the
//!   circular member list link; the head of the node's adjacency list.
//! * `half: Vec<HalfEdge>` (8 bytes each, two per edge): edge `e` is the pair of
//!   half-edges `2e` and `2e + 1`, each the other's twin (`h ^ 1`). Removed
//!   pairs go to a free list and are reused, so there are no tombstones.
//!
//! Removed node ids go to a free list too and are reused by later insertions.
//!
//! Costs (n = component size, d = degree): `link` O(α) amortised, plus
//! O(min(d(a), d(b))) when both ends are already in one component (duplicate
//! edge check); `find`/`same`/`component_size` O(log n) (union by size, no
//! path compression on the read-only path, so reads take `&self`); `members` O(n
//! log n) (sorted); `unlink` a BFS of the affected component, stopping as soon
//! as the other endpoint is reached, O(n + edges) when the component splits;
//! `remove_node` O(n + edges of the component) (the component is rebuilt).
//!
//! The canonical representative of a component is its smallest key
//! (lexicographic bytes), maintained at the root on every union and recomputed
//! on every split, so it does not depend on insertion order.

use std::fs;
use std::hash::BuildHasher;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use hashbrown::{DefaultHashBuilder, HashMap, HashSet, HashTable};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::errors::{CoreError, Result};

/// Length of every node key.
pub const KEY_LEN: usize = 16;

/// A node key.
pub type Key = [u8; KEY_LEN];

/// "No node / no half-edge".
const NIL: u32 = u32::MAX;
/// `parent` of a free (removed) node slot.
const DEAD: u32 = u32::MAX - 1;
/// Node ids are below `DEAD`.
const MAX_NODES: usize = (u32::MAX - 1) as usize;
/// Half-edge indices are below `NIL`; pairs start at even indices.
const MAX_EDGES: usize = (u32::MAX / 2) as usize;

const INCONSISTENT: CoreError = CoreError::InvalidArgument("cluster index data is inconsistent");

/// Snapshot magic (8 bytes), format version, and fixed sizes.
const MAGIC: &[u8; 8] = b"CRSCLIDX";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 32;
const CHECKSUM_LEN: usize = 32;

#[derive(Clone, Copy, Debug)]
struct Node {
    /// Union-find parent; `DEAD` for a free slot.
    parent: u32,
    /// Component size (roots only).
    size: u32,
    /// Node id holding the component's smallest key (roots only).
    min: u32,
    /// Next member in the component's circular list; next free slot for a
    /// free slot.
    next_member: u32,
    /// First half-edge of this node's adjacency list, or `NIL`.
    head: u32,
}

impl Node {
    const fn singleton(id: u32) -> Node {
        Node {
            parent: id,
            size: 1,
            min: id,
            next_member: id,
            head: NIL,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct HalfEdge {
    /// Target node, or `NIL` if this pair is free.
    to: u32,
    /// Next half-edge in the owner's list (or in the free list).
    next: u32,
}

/// Incremental connected-components index. See the module documentation.
#[derive(Debug, Clone)]
pub struct ClusterIndex {
    keys: Vec<Key>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    nodes: Vec<Node>,
    half: Vec<HalfEdge>,
    free_node: u32,
    free_edge: u32,
    node_count: usize,
    edge_count: usize,
    component_count: usize,
}

impl Default for ClusterIndex {
    fn default() -> Self {
        Self::new()
    }
}

/// Convert caller bytes into a key, or a clear error.
pub fn key_from_slice(bytes: &[u8]) -> Result<Key> {
    Key::try_from(bytes)
        .map_err(|_| CoreError::InvalidArgument("cluster index keys must be exactly 16 bytes long"))
}

fn snapshot_err(msg: impl Into<String>) -> CoreError {
    CoreError::Snapshot(msg.into())
}

impl ClusterIndex {
    /// An empty index.
    pub fn new() -> Self {
        ClusterIndex {
            keys: Vec::new(),
            table: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            nodes: Vec::new(),
            half: Vec::new(),
            free_node: NIL,
            free_edge: NIL,
            node_count: 0,
            edge_count: 0,
            component_count: 0,
        }
    }

    /// Number of live nodes.
    pub fn node_count(&self) -> usize {
        self.node_count
    }

    /// Number of (distinct, undirected, non-loop) edges.
    pub fn edge_count(&self) -> usize {
        self.edge_count
    }

    /// Number of connected components (isolated nodes count as one each).
    pub fn component_count(&self) -> usize {
        self.component_count
    }

    /// Heap bytes allocated by the structure, from the capacities of its
    /// buffers (keys, nodes, half-edges, and the hash table's allocation).
    pub fn memory_bytes(&self) -> usize {
        self.keys.capacity() * size_of::<Key>()
            + self.nodes.capacity() * size_of::<Node>()
            + self.half.capacity() * size_of::<HalfEdge>()
            + self.table.allocation_size()
    }

    /// Release spare capacity (incremental growth over-allocates like any
    /// growable vector). Free slots of removed nodes and edges are kept for
    /// reuse.
    pub fn shrink_to_fit(&mut self) {
        self.keys.shrink_to_fit();
        self.nodes.shrink_to_fit();
        self.half.shrink_to_fit();
        let (keys, hasher) = (&self.keys, &self.hasher);
        self.table
            .shrink_to_fit(|&i| hasher.hash_one(keys[i as usize]));
    }

    // ----- lookups -------------------------------------------------------

    fn lookup(&self, key: &Key) -> Option<u32> {
        let hash = self.hasher.hash_one(key);
        self.table
            .find(hash, |&id| self.keys[id as usize] == *key)
            .copied()
    }

    fn key(&self, id: u32) -> Key {
        self.keys[id as usize]
    }

    fn root(&self, mut id: u32) -> u32 {
        loop {
            let parent = self.nodes[id as usize].parent;
            if parent == id {
                return id;
            }
            id = parent;
        }
    }

    /// `root` with path halving.
    fn root_mut(&mut self, mut id: u32) -> u32 {
        loop {
            let parent = self.nodes[id as usize].parent;
            if parent == id {
                return id;
            }
            let grandparent = self.nodes[parent as usize].parent;
            self.nodes[id as usize].parent = grandparent;
            id = grandparent;
        }
    }

    /// True if the key is a node of the index.
    pub fn contains(&self, key: &Key) -> bool {
        self.lookup(key).is_some()
    }

    /// The smallest key of the node's component, or `None` for an unknown key.
    pub fn find(&self, key: &Key) -> Option<Key> {
        let id = self.lookup(key)?;
        let root = self.root(id);
        Some(self.key(self.nodes[root as usize].min))
    }

    /// True if both keys are nodes of one component.
    pub fn same(&self, a: &Key, b: &Key) -> bool {
        match (self.lookup(a), self.lookup(b)) {
            (Some(ia), Some(ib)) => self.root(ia) == self.root(ib),
            _ => false,
        }
    }

    /// Size of the node's component; 0 for an unknown key.
    pub fn component_size(&self, key: &Key) -> usize {
        self.lookup(key)
            .map_or(0, |id| self.nodes[self.root(id) as usize].size as usize)
    }

    fn member_ids(&self, id: u32) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.nodes[self.root(id) as usize].size as usize);
        let mut cur = id;
        loop {
            out.push(cur);
            cur = self.nodes[cur as usize].next_member;
            if cur == id {
                return out;
            }
        }
    }

    fn sorted_keys(&self, ids: &[u32]) -> Vec<Key> {
        let mut keys: Vec<Key> = ids.iter().map(|&id| self.key(id)).collect();
        keys.sort_unstable();
        keys
    }

    /// Sorted keys of the node's component; empty for an unknown key.
    pub fn members(&self, key: &Key) -> Vec<Key> {
        self.lookup(key)
            .map_or_else(Vec::new, |id| self.sorted_keys(&self.member_ids(id)))
    }

    /// Sorted keys of the node's neighbours; empty for an unknown key.
    pub fn neighbors(&self, key: &Key) -> Vec<Key> {
        let Some(id) = self.lookup(key) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut h = self.nodes[id as usize].head;
        while h != NIL {
            let half = self.half[h as usize];
            out.push(self.key(half.to));
            h = half.next;
        }
        out.sort_unstable();
        out
    }

    /// A shortest chain of nodes from `a` to `b` over live edges (BFS), both
    /// ends included; `None` if either is unknown or they are not connected.
    pub fn path(&self, a: &Key, b: &Key) -> Option<Vec<Key>> {
        let ia = self.lookup(a)?;
        let ib = self.lookup(b)?;
        if self.root(ia) != self.root(ib) {
            return None;
        }
        if ia == ib {
            return Some(vec![*a]);
        }
        let mut prev: HashMap<u32, u32> = HashMap::new();
        prev.insert(ia, NIL);
        let mut queue = std::collections::VecDeque::from([ia]);
        while let Some(u) = queue.pop_front() {
            let mut h = self.nodes[u as usize].head;
            while h != NIL {
                let HalfEdge { to: v, next } = self.half[h as usize];
                h = next;
                if prev.contains_key(&v) {
                    continue;
                }
                prev.insert(v, u);
                if v == ib {
                    let mut chain = vec![self.key(ib)];
                    let mut cur = u;
                    while cur != NIL {
                        chain.push(self.key(cur));
                        cur = prev.get(&cur).copied().unwrap_or(NIL);
                    }
                    chain.reverse();
                    return Some(chain);
                }
                queue.push_back(v);
            }
        }
        None
    }

    // ----- edges -----------------------------------------------------------

    /// The half-edge of `u`'s list pointing at `v`, walking both lists in
    /// lockstep so the cost is O(min(deg u, deg v)).
    fn find_half(&self, u: u32, v: u32) -> Option<u32> {
        let mut hu = self.nodes[u as usize].head;
        let mut hv = self.nodes[v as usize].head;
        while hu != NIL && hv != NIL {
            let a = self.half[hu as usize];
            if a.to == v {
                return Some(hu);
            }
            let b = self.half[hv as usize];
            if b.to == u {
                return Some(hv ^ 1);
            }
            hu = a.next;
            hv = b.next;
        }
        None
    }

    fn add_edge(&mut self, u: u32, v: u32) -> Result<()> {
        let h = if self.free_edge != NIL {
            let h = self.free_edge;
            self.free_edge = self.half[h as usize].next;
            h
        } else {
            if self.half.len() / 2 >= MAX_EDGES {
                return Err(CoreError::InvalidArgument("cluster index is full (edges)"));
            }
            let h = self.half.len() as u32;
            self.half.push(HalfEdge { to: NIL, next: NIL });
            self.half.push(HalfEdge { to: NIL, next: NIL });
            h
        };
        self.half[h as usize] = HalfEdge {
            to: v,
            next: self.nodes[u as usize].head,
        };
        self.nodes[u as usize].head = h;
        self.half[(h + 1) as usize] = HalfEdge {
            to: u,
            next: self.nodes[v as usize].head,
        };
        self.nodes[v as usize].head = h + 1;
        self.edge_count += 1;
        Ok(())
    }

    /// Unlink half-edge `h` from the list of `owner`.
    fn detach_half(&mut self, owner: u32, h: u32) {
        let next = self.half[h as usize].next;
        let head = self.nodes[owner as usize].head;
        if head == h {
            self.nodes[owner as usize].head = next;
            return;
        }
        let mut cur = head;
        while cur != NIL {
            let cur_next = self.half[cur as usize].next;
            if cur_next == h {
                self.half[cur as usize].next = next;
                return;
            }
            cur = cur_next;
        }
    }

    /// Remove the edge of half-edge `h` (either half) and free the pair.
    fn remove_edge(&mut self, h: u32) {
        let twin = h ^ 1;
        let owner_h = self.half[twin as usize].to;
        let owner_twin = self.half[h as usize].to;
        self.detach_half(owner_h, h);
        self.detach_half(owner_twin, twin);
        let even = h & !1;
        self.half[even as usize] = HalfEdge {
            to: NIL,
            next: self.free_edge,
        };
        self.half[(even + 1) as usize] = HalfEdge { to: NIL, next: NIL };
        self.free_edge = even;
        self.edge_count -= 1;
    }

    // ----- nodes -----------------------------------------------------------

    /// The id of `key`, inserting it as an isolated node if needed.
    fn intern(&mut self, key: &Key) -> Result<u32> {
        let hash = self.hasher.hash_one(key);
        if let Some(&id) = self.table.find(hash, |&id| self.keys[id as usize] == *key) {
            return Ok(id);
        }
        let id = if self.free_node != NIL {
            let id = self.free_node;
            self.free_node = self.nodes[id as usize].next_member;
            self.keys[id as usize] = *key;
            self.nodes[id as usize] = Node::singleton(id);
            id
        } else {
            if self.nodes.len() >= MAX_NODES {
                return Err(CoreError::InvalidArgument("cluster index is full (nodes)"));
            }
            let id = self.nodes.len() as u32;
            self.keys.push(*key);
            self.nodes.push(Node::singleton(id));
            id
        };
        let (keys, hasher) = (&self.keys, &self.hasher);
        self.table
            .insert_unique(hash, id, |&i| hasher.hash_one(keys[i as usize]));
        self.node_count += 1;
        self.component_count += 1;
        Ok(id)
    }

    /// Add an isolated node; true if it was not present.
    pub fn add_node(&mut self, key: &Key) -> Result<bool> {
        let before = self.node_count;
        self.intern(key)?;
        Ok(self.node_count > before)
    }

    /// Merge the components rooted at `ra` and `rb` (distinct roots).
    fn union_roots(&mut self, ra: u32, rb: u32) {
        let (big, small) = if self.nodes[ra as usize].size >= self.nodes[rb as usize].size {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let small_node = self.nodes[small as usize];
        let big_min = self.nodes[big as usize].min;
        let min = if self.key(small_node.min) < self.key(big_min) {
            small_node.min
        } else {
            big_min
        };
        let big_next = self.nodes[big as usize].next_member;
        {
            let b = &mut self.nodes[big as usize];
            b.size += small_node.size;
            b.min = min;
            b.next_member = small_node.next_member;
        }
        let s = &mut self.nodes[small as usize];
        s.parent = big;
        s.next_member = big_next;
        self.component_count -= 1;
    }

    /// Link two keys (adding them as needed). True if two components merged.
    /// Linking a key to itself only adds the node; an existing edge is a
    /// no-op.
    pub fn link(&mut self, a: &Key, b: &Key) -> Result<bool> {
        let ia = self.intern(a)?;
        let ib = self.intern(b)?;
        if ia == ib {
            return Ok(false);
        }
        let ra = self.root_mut(ia);
        let rb = self.root_mut(ib);
        if ra != rb {
            self.add_edge(ia, ib)?;
            self.union_roots(ra, rb);
            return Ok(true);
        }
        if self.find_half(ia, ib).is_none() {
            self.add_edge(ia, ib)?;
        }
        Ok(false)
    }

    /// `link` for each pair; the number of merges.
    pub fn link_many(&mut self, pairs: &[(Key, Key)]) -> Result<usize> {
        let mut merged = 0;
        for (a, b) in pairs {
            merged += usize::from(self.link(a, b)?);
        }
        Ok(merged)
    }

    /// Make `ids` (the exact node set of one component) a component: one
    /// root, circular member list in the given order, size and min.
    fn relabel(&mut self, ids: &[u32]) {
        let Some(&root) = ids.first() else {
            return;
        };
        let mut min = root;
        for (i, &id) in ids.iter().enumerate() {
            let next = ids[(i + 1) % ids.len()];
            let node = &mut self.nodes[id as usize];
            node.parent = root;
            node.next_member = next;
            if self.keys[id as usize] < self.keys[min as usize] {
                min = id;
            }
        }
        let r = &mut self.nodes[root as usize];
        r.size = ids.len() as u32;
        r.min = min;
    }

    /// BFS from `start` over live edges. Stops early (returning `None`) once
    /// `stop` is reached; otherwise returns the visited set.
    fn bfs(&self, start: u32, stop: u32, seen: &mut HashSet<u32>) -> Option<Vec<u32>> {
        let mut order = vec![start];
        seen.insert(start);
        let mut i = 0;
        while i < order.len() {
            let mut h = self.nodes[order[i] as usize].head;
            i += 1;
            while h != NIL {
                let HalfEdge { to, next } = self.half[h as usize];
                h = next;
                if to == stop {
                    return None;
                }
                if seen.insert(to) {
                    order.push(to);
                }
            }
        }
        Some(order)
    }

    fn sorted_components(&self, mut parts: Vec<Vec<u32>>) -> Vec<Vec<Key>> {
        let mut out: Vec<Vec<Key>> = parts.iter_mut().map(|p| self.sorted_keys(p)).collect();
        out.sort_unstable();
        out
    }

    /// Remove the edge between `a` and `b` (a no-op if there is none). If the
    /// component split, returns the resulting components (each sorted, ordered
    /// by smallest key); otherwise an empty list.
    pub fn unlink(&mut self, a: &Key, b: &Key) -> Vec<Vec<Key>> {
        let (Some(ia), Some(ib)) = (self.lookup(a), self.lookup(b)) else {
            return Vec::new();
        };
        if ia == ib {
            return Vec::new();
        }
        let Some(h) = self.find_half(ia, ib) else {
            return Vec::new();
        };
        self.remove_edge(h);
        let mut seen = HashSet::new();
        let Some(side_a) = self.bfs(ia, ib, &mut seen) else {
            return Vec::new();
        };
        let side_b: Vec<u32> = self
            .member_ids(ia)
            .into_iter()
            .filter(|id| !seen.contains(id))
            .collect();
        self.relabel(&side_a);
        self.relabel(&side_b);
        self.component_count += 1;
        self.sorted_components(vec![side_a, side_b])
    }

    /// Remove a node and its edges (a no-op for an unknown key). If the rest of
    /// its component split into two or more components, returns them (as
    /// `unlink` does); otherwise an empty list.
    pub fn remove_node(&mut self, key: &Key) -> Vec<Vec<Key>> {
        let Some(id) = self.lookup(key) else {
            return Vec::new();
        };
        let rest: Vec<u32> = self
            .member_ids(id)
            .into_iter()
            .filter(|&m| m != id)
            .collect();
        while self.nodes[id as usize].head != NIL {
            let h = self.nodes[id as usize].head;
            self.remove_edge(h);
        }
        let hash = self.hasher.hash_one(key);
        if let Ok(entry) = self.table.find_entry(hash, |&i| i == id) {
            entry.remove();
        }
        self.nodes[id as usize] = Node {
            parent: DEAD,
            size: 0,
            min: NIL,
            next_member: self.free_node,
            head: NIL,
        };
        self.free_node = id;
        self.node_count -= 1;
        self.component_count -= 1;

        let mut seen = HashSet::with_capacity(rest.len());
        let mut parts = Vec::new();
        for &m in &rest {
            if !seen.contains(&m) {
                // `stop` = NIL never matches a node id: full BFS.
                if let Some(part) = self.bfs(m, NIL, &mut seen) {
                    parts.push(part);
                }
            }
        }
        for part in &parts {
            self.relabel(part);
        }
        self.component_count += parts.len();
        if parts.len() < 2 {
            return Vec::new();
        }
        self.sorted_components(parts)
    }

    // ----- batch build and snapshots ---------------------------------------

    /// Build an index from pairs in one pass (parallel sort/dedup of keys and
    /// edges, then union). A pair `(k, k)` adds the isolated node `k`.
    pub fn build(pairs: &[(Key, Key)]) -> Result<Self> {
        // Sort every endpoint with its position in `pairs`, then number the
        // distinct keys in one scan: node ids follow key order, and each
        // position learns its id by a sequential write instead of a lookup.
        let endpoints_len = pairs.len().saturating_mul(2);
        if endpoints_len > u32::MAX as usize {
            return Err(CoreError::InvalidArgument("cluster index is full (nodes)"));
        }
        let mut endpoints: Vec<(Key, u32)> = (0..endpoints_len as u32)
            .into_par_iter()
            .map(|pos| {
                let (a, b) = &pairs[(pos / 2) as usize];
                (if pos % 2 == 0 { *a } else { *b }, pos)
            })
            .collect();
        endpoints.par_sort_unstable_by(|x, y| x.0.cmp(&y.0));
        let mut ids = vec![0u32; endpoints_len];
        let mut keys: Vec<Key> = Vec::new();
        for (key, pos) in &endpoints {
            if keys.last() != Some(key) {
                if keys.len() >= MAX_NODES {
                    return Err(CoreError::InvalidArgument("cluster index is full (nodes)"));
                }
                keys.push(*key);
            }
            ids[*pos as usize] = (keys.len() - 1) as u32;
        }
        drop(endpoints);
        keys.shrink_to_fit();
        let mut edges: Vec<(u32, u32)> = ids
            .par_chunks_exact(2)
            .filter(|p| p[0] != p[1])
            .map(|p| (p[0].min(p[1]), p[0].max(p[1])))
            .collect();
        drop(ids);
        edges.par_sort_unstable();
        edges.dedup();
        Self::from_canonical(keys, &edges)
    }

    /// Build from the canonical form: keys strictly increasing, edges
    /// strictly increasing with `a < b < keys.len()`. Anything else is an
    /// error (this also validates snapshots).
    fn from_canonical(keys: Vec<Key>, edges: &[(u32, u32)]) -> Result<Self> {
        let mut index = Self::with_sorted_keys(keys)?;
        index.add_sorted_edges(edges)?;
        Ok(index)
    }

    /// An index of isolated nodes; `keys` must be strictly increasing.
    fn with_sorted_keys(keys: Vec<Key>) -> Result<Self> {
        let n = keys.len();
        if n > MAX_NODES || !keys.par_windows(2).all(|w| w[0] < w[1]) {
            return Err(INCONSISTENT);
        }
        let hasher = DefaultHashBuilder::default();
        let hashes: Vec<u64> = keys.par_iter().map(|k| hasher.hash_one(k)).collect();
        let mut table = HashTable::with_capacity(n);
        for (id, &hash) in hashes.iter().enumerate() {
            table.insert_unique(hash, id as u32, |&i| hasher.hash_one(keys[i as usize]));
        }
        drop(hashes);
        let nodes: Vec<Node> = (0..n as u32).into_par_iter().map(Node::singleton).collect();
        Ok(ClusterIndex {
            keys,
            table,
            hasher,
            nodes,
            half: Vec::new(),
            free_node: NIL,
            free_edge: NIL,
            node_count: n,
            edge_count: 0,
            component_count: n,
        })
    }

    /// Add edges to an index fresh from `with_sorted_keys`; `edges` must be
    /// strictly increasing with `a < b < node_count`.
    fn add_sorted_edges(&mut self, edges: &[(u32, u32)]) -> Result<()> {
        let n = self.nodes.len();
        if edges.len() > MAX_EDGES
            || !edges.par_windows(2).all(|w| w[0] < w[1])
            || !edges.par_iter().all(|&(a, b)| a < b && (b as usize) < n)
        {
            return Err(INCONSISTENT);
        }
        self.half.reserve_exact(edges.len() * 2);
        for &(a, b) in edges {
            self.add_edge(a, b)?;
            let ra = self.root_mut(a);
            let rb = self.root_mut(b);
            if ra != rb {
                self.union_roots(ra, rb);
            }
        }
        Ok(())
    }

    /// The canonical form: live keys sorted, edges as sorted `(a, b)` index
    /// pairs into them with `a < b`.
    fn canonical(&self) -> (Vec<Key>, Vec<(u32, u32)>) {
        let mut live: Vec<u32> = (0..self.nodes.len() as u32)
            .into_par_iter()
            .filter(|&id| self.nodes[id as usize].parent != DEAD)
            .collect();
        live.par_sort_unstable_by_key(|&id| self.keys[id as usize]);
        let mut rank = vec![NIL; self.nodes.len()];
        for (new, &old) in live.iter().enumerate() {
            rank[old as usize] = new as u32;
        }
        let keys: Vec<Key> = live.iter().map(|&id| self.key(id)).collect();
        drop(live);
        let mut edges: Vec<(u32, u32)> = self
            .half
            .par_chunks_exact(2)
            .filter(|pair| pair[0].to != NIL)
            .map(|pair| {
                let (a, b) = (rank[pair[1].to as usize], rank[pair[0].to as usize]);
                (a.min(b), a.max(b))
            })
            .collect();
        edges.par_sort_unstable();
        (keys, edges)
    }

    /// Write a snapshot: header (magic, version, reserved, node count, edge
    /// count), sorted keys, edges as little-endian `u32` index pairs, then the
    /// SHA-256 of everything before it. Written to a temporary sibling file
    /// and renamed into place.
    pub fn save(&self, path: &Path) -> Result<()> {
        let (keys, edges) = self.canonical();
        let io_err = |what: &str, err: std::io::Error| {
            snapshot_err(format!(
                "cannot {what} snapshot {}: {}",
                path.display(),
                err.kind()
            ))
        };
        let mut tmp = PathBuf::from(path);
        tmp.as_mut_os_string().push(".tmp");
        let file = fs::File::create(&tmp).map_err(|e| io_err("create", e))?;
        let mut out = HashingWriter {
            inner: BufWriter::with_capacity(1 << 20, file),
            digest: Sha256::new(),
        };
        let mut header = [0u8; HEADER_LEN];
        header[..8].copy_from_slice(MAGIC);
        header[8..12].copy_from_slice(&VERSION.to_le_bytes());
        header[16..24].copy_from_slice(&(keys.len() as u64).to_le_bytes());
        header[24..32].copy_from_slice(&(edges.len() as u64).to_le_bytes());
        let write = |out: &mut HashingWriter| -> std::io::Result<()> {
            out.write(&header)?;
            for key in &keys {
                out.write(key)?;
            }
            for &(a, b) in &edges {
                out.write(&a.to_le_bytes())?;
                out.write(&b.to_le_bytes())?;
            }
            let digest = out.digest.clone().finalize();
            out.inner.write_all(&digest)?;
            out.inner.flush()?;
            out.inner.get_ref().sync_all()
        };
        let written = write(&mut out).map_err(|e| io_err("write", e));
        drop(out);
        let result = written.and_then(|()| fs::rename(&tmp, path).map_err(|e| io_err("rename", e)));
        if result.is_err() {
            // Best effort: never leave a partial temporary file behind.
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// Read a snapshot written by `save`. Any truncation, corruption, or
    /// inconsistency is an error (`CoreError::Snapshot`).
    pub fn load(path: &Path) -> Result<Self> {
        let data = fs::read(path).map_err(|e| {
            snapshot_err(format!(
                "cannot read snapshot {}: {}",
                path.display(),
                e.kind()
            ))
        })?;
        Self::from_snapshot_bytes(&data)
    }

    /// Parse snapshot bytes (see `save`).
    pub fn from_snapshot_bytes(data: &[u8]) -> Result<Self> {
        if data.len() < HEADER_LEN + CHECKSUM_LEN {
            return Err(snapshot_err("snapshot is truncated"));
        }
        if &data[..8] != MAGIC {
            return Err(snapshot_err("not a cluster index snapshot (bad magic)"));
        }
        let u32_at = |at: usize| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&data[at..at + 4]);
            u32::from_le_bytes(b)
        };
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&data[at..at + 8]);
            u64::from_le_bytes(b)
        };
        let version = u32_at(8);
        if version != VERSION {
            return Err(snapshot_err(format!(
                "unsupported snapshot version {version} (expected {VERSION})"
            )));
        }
        let n = u64_at(16);
        let e = u64_at(24);
        let body = usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(KEY_LEN))
            .and_then(|k| {
                usize::try_from(e)
                    .ok()
                    .and_then(|e| e.checked_mul(8))
                    .and_then(|x| x.checked_add(k))
            })
            .and_then(|b| b.checked_add(HEADER_LEN + CHECKSUM_LEN));
        match body {
            Some(len) if len == data.len() => {}
            Some(len) if len > data.len() => return Err(snapshot_err("snapshot is truncated")),
            Some(_) => return Err(snapshot_err("snapshot has trailing bytes")),
            None => return Err(snapshot_err("snapshot header is corrupt")),
        }
        let (content, checksum) = data.split_at(data.len() - CHECKSUM_LEN);
        if Sha256::digest(content).as_slice() != checksum {
            return Err(snapshot_err("snapshot checksum mismatch (corrupt file)"));
        }
        // Lengths were checked above, so these conversions are exact.
        let n = n as usize;
        let keys_end = HEADER_LEN + n * KEY_LEN;
        let keys: Vec<Key> = content[HEADER_LEN..keys_end]
            .par_chunks_exact(KEY_LEN)
            .map(|c| {
                let mut k = [0u8; KEY_LEN];
                k.copy_from_slice(c);
                k
            })
            .collect();
        let edges: Vec<(u32, u32)> = content[keys_end..]
            .par_chunks_exact(8)
            .map(|c| {
                let (a, b) = c.split_at(4);
                let mut x = [0u8; 4];
                let mut y = [0u8; 4];
                x.copy_from_slice(a);
                y.copy_from_slice(b);
                (u32::from_le_bytes(x), u32::from_le_bytes(y))
            })
            .collect();
        Self::from_canonical(keys, &edges)
            .map_err(|_| snapshot_err("snapshot contents are inconsistent"))
    }
}

struct HashingWriter {
    inner: BufWriter<fs::File>,
    digest: Sha256,
}

impl HashingWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.digest.update(bytes);
        self.inner.write_all(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(i: u32) -> Key {
        let mut key = [0u8; KEY_LEN];
        key[12..].copy_from_slice(&i.to_be_bytes());
        key
    }

    fn ks(ids: &[u32]) -> Vec<Key> {
        ids.iter().map(|&i| k(i)).collect()
    }

    /// Checks every invariant of the structure against a from-scratch BFS.
    fn check(idx: &ClusterIndex) {
        let mut live = 0;
        let mut comps = 0;
        let mut half_edges = 0;
        for id in 0..idx.nodes.len() as u32 {
            let node = idx.nodes[id as usize];
            if node.parent == DEAD {
                continue;
            }
            live += 1;
            let key = idx.key(id);
            assert_eq!(idx.lookup(&key), Some(id));
            let mut h = node.head;
            while h != NIL {
                half_edges += 1;
                let he = idx.half[h as usize];
                assert_eq!(idx.half[(h ^ 1) as usize].to, id);
                assert!(idx.same(&key, &idx.key(he.to)));
                h = he.next;
            }
            let members = idx.member_ids(id);
            let root = idx.root(id);
            assert_eq!(members.len(), idx.nodes[root as usize].size as usize);
            assert!(members.iter().all(|&m| idx.root(m) == root));
            let min = members.iter().map(|&m| idx.key(m)).min();
            assert_eq!(idx.find(&key), min);
            if root == id {
                comps += 1;
                // The member list is exactly the BFS-reachable set.
                let mut seen = HashSet::new();
                let reach = idx.bfs(id, NIL, &mut seen).unwrap_or_default();
                assert_eq!(reach.len(), members.len());
            }
        }
        assert_eq!(live, idx.node_count());
        assert_eq!(comps, idx.component_count());
        assert_eq!(half_edges, 2 * idx.edge_count());
        assert_eq!(idx.table.len(), live);
    }

    #[test]
    fn link_merges_and_is_idempotent() {
        let mut idx = ClusterIndex::new();
        assert!(idx.link(&k(1), &k(2)).unwrap());
        assert!(!idx.link(&k(1), &k(2)).unwrap());
        assert!(!idx.link(&k(2), &k(1)).unwrap());
        assert_eq!(idx.edge_count(), 1);
        assert!(idx.link(&k(3), &k(2)).unwrap());
        assert!(!idx.link(&k(1), &k(3)).unwrap());
        assert_eq!(idx.edge_count(), 3);
        assert_eq!(idx.component_count(), 1);
        assert_eq!(idx.members(&k(3)), ks(&[1, 2, 3]));
        assert_eq!(idx.find(&k(3)), Some(k(1)));
        check(&idx);
    }

    #[test]
    fn self_link_adds_node_only() {
        let mut idx = ClusterIndex::new();
        assert!(!idx.link(&k(5), &k(5)).unwrap());
        assert!(idx.contains(&k(5)));
        assert_eq!(idx.edge_count(), 0);
        assert_eq!(idx.component_count(), 1);
        assert_eq!(idx.path(&k(5), &k(5)), Some(ks(&[5])));
        check(&idx);
    }

    #[test]
    fn unknown_keys() {
        let mut idx = ClusterIndex::new();
        assert_eq!(idx.find(&k(1)), None);
        assert!(!idx.same(&k(1), &k(1)));
        assert_eq!(idx.component_size(&k(1)), 0);
        assert!(idx.members(&k(1)).is_empty());
        assert!(idx.neighbors(&k(1)).is_empty());
        assert_eq!(idx.path(&k(1), &k(2)), None);
        assert!(idx.unlink(&k(1), &k(2)).is_empty());
        assert!(idx.remove_node(&k(1)).is_empty());
        check(&idx);
    }

    #[test]
    fn key_length_is_checked() {
        assert!(key_from_slice(&[0; 15]).is_err());
        assert!(key_from_slice(&[0; 17]).is_err());
        assert_eq!(key_from_slice(&[7; 16]).unwrap(), [7; 16]);
    }

    #[test]
    fn unlink_splits_and_keeps_cycles() {
        let mut idx = ClusterIndex::new();
        // Triangle 1-2-3 plus a tail 3-4.
        for (a, b) in [(1, 2), (2, 3), (3, 1), (3, 4)] {
            idx.link(&k(a), &k(b)).unwrap();
        }
        assert!(idx.unlink(&k(1), &k(2)).is_empty());
        assert_eq!(idx.component_count(), 1);
        assert!(idx.unlink(&k(1), &k(2)).is_empty()); // already gone
        check(&idx);
        let parts = idx.unlink(&k(3), &k(4));
        assert_eq!(parts, vec![ks(&[1, 2, 3]), ks(&[4])]);
        assert_eq!(idx.component_count(), 2);
        assert_eq!(idx.find(&k(4)), Some(k(4)));
        check(&idx);
        let parts = idx.unlink(&k(1), &k(3));
        assert_eq!(parts, vec![ks(&[1]), ks(&[2, 3])]);
        assert_eq!(idx.find(&k(3)), Some(k(2)));
        check(&idx);
    }

    #[test]
    fn remove_node_splits_star() {
        let mut idx = ClusterIndex::new();
        for leaf in 1..=4 {
            idx.link(&k(0), &k(leaf)).unwrap();
        }
        idx.link(&k(1), &k(2)).unwrap();
        let parts = idx.remove_node(&k(0));
        assert_eq!(parts, vec![ks(&[1, 2]), ks(&[3]), ks(&[4])]);
        assert!(!idx.contains(&k(0)));
        assert_eq!(idx.node_count(), 4);
        assert_eq!(idx.edge_count(), 1);
        check(&idx);
        // Freed slots are reused.
        let slots = idx.nodes.len();
        idx.link(&k(9), &k(3)).unwrap();
        assert_eq!(idx.nodes.len(), slots);
        assert!(idx.same(&k(9), &k(3)));
        assert!(idx.remove_node(&k(9)).is_empty());
        check(&idx);
    }

    #[test]
    fn path_is_shortest() {
        let mut idx = ClusterIndex::new();
        for (a, b) in [(1, 2), (2, 3), (3, 4), (4, 5), (1, 6), (6, 5)] {
            idx.link(&k(a), &k(b)).unwrap();
        }
        assert_eq!(idx.path(&k(1), &k(5)), Some(ks(&[1, 6, 5])));
        idx.link(&k(7), &k(8)).unwrap();
        assert_eq!(idx.path(&k(1), &k(8)), None);
        assert_eq!(idx.neighbors(&k(1)), ks(&[2, 6]));
    }

    #[test]
    fn deterministic_representative() {
        let pairs = [(5, 3), (3, 9), (9, 1), (7, 8)];
        let mut forward = ClusterIndex::new();
        let mut backward = ClusterIndex::new();
        for &(a, b) in &pairs {
            forward.link(&k(a), &k(b)).unwrap();
        }
        for &(a, b) in pairs.iter().rev() {
            backward.link(&k(b), &k(a)).unwrap();
        }
        for i in [1, 3, 5, 7, 8, 9] {
            assert_eq!(forward.find(&k(i)), backward.find(&k(i)));
        }
        assert_eq!(forward.find(&k(5)), Some(k(1)));
        assert_eq!(forward.find(&k(8)), Some(k(7)));
    }

    /// Small deterministic pseudo-random generator (xorshift) for the tests.
    fn rng(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn random_operations_keep_invariants_and_match_build() {
        let mut state = 0x9e37_79b9_7f4a_7c15;
        let mut idx = ClusterIndex::new();
        let mut edges: std::collections::BTreeSet<(u32, u32)> = Default::default();
        let mut nodes: std::collections::BTreeSet<u32> = Default::default();
        for step in 0..3000 {
            let a = (rng(&mut state) % 60) as u32;
            let b = (rng(&mut state) % 60) as u32;
            match rng(&mut state) % 10 {
                0..=5 => {
                    idx.link(&k(a), &k(b)).unwrap();
                    nodes.insert(a);
                    nodes.insert(b);
                    if a != b {
                        edges.insert((a.min(b), a.max(b)));
                    }
                }
                6..=8 => {
                    idx.unlink(&k(a), &k(b));
                    edges.remove(&(a.min(b), a.max(b)));
                }
                _ => {
                    idx.remove_node(&k(a));
                    nodes.remove(&a);
                    edges.retain(|&(x, y)| x != a && y != a);
                }
            }
            if step % 100 == 0 {
                check(&idx);
            }
        }
        check(&idx);
        // Rebuild from the surviving edges plus isolated nodes.
        let mut pairs: Vec<(Key, Key)> = edges.iter().map(|&(a, b)| (k(a), k(b))).collect();
        pairs.extend(nodes.iter().map(|&n| (k(n), k(n))));
        let built = ClusterIndex::build(&pairs).unwrap();
        check(&built);
        assert_eq!(built.canonical(), idx.canonical());
        assert_eq!(built.component_count(), idx.component_count());
    }

    #[test]
    fn snapshot_round_trip_and_corruption() {
        let mut idx = ClusterIndex::new();
        for (a, b) in [(1, 2), (2, 3), (10, 11), (4, 4)] {
            idx.link(&k(a), &k(b)).unwrap();
        }
        idx.remove_node(&k(2));
        let dir = std::env::temp_dir().join(format!("crs-cidx-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("snap.bin");
        idx.save(&path).unwrap();
        let loaded = ClusterIndex::load(&path).unwrap();
        check(&loaded);
        assert_eq!(loaded.canonical(), idx.canonical());
        assert_eq!(loaded.component_count(), idx.component_count());

        let data = fs::read(&path).unwrap();
        for cut in [0, 10, HEADER_LEN, data.len() - 1] {
            assert!(matches!(
                ClusterIndex::from_snapshot_bytes(&data[..cut]),
                Err(CoreError::Snapshot(_))
            ));
        }
        for at in [0, 9, 17, HEADER_LEN + 3, data.len() - 40, data.len() - 1] {
            let mut bad = data.clone();
            bad[at] ^= 0x40;
            assert!(matches!(
                ClusterIndex::from_snapshot_bytes(&bad),
                Err(CoreError::Snapshot(_))
            ));
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn inconsistent_but_checksummed_snapshot_is_rejected() {
        // Valid checksum over an edge that points past the node table.
        let mut data = Vec::new();
        data.extend_from_slice(MAGIC);
        data.extend_from_slice(&VERSION.to_le_bytes());
        data.extend_from_slice(&0u32.to_le_bytes());
        data.extend_from_slice(&1u64.to_le_bytes());
        data.extend_from_slice(&1u64.to_le_bytes());
        data.extend_from_slice(&k(1));
        data.extend_from_slice(&0u32.to_le_bytes());
        data.extend_from_slice(&5u32.to_le_bytes());
        let digest = Sha256::digest(&data);
        data.extend_from_slice(&digest);
        assert!(matches!(
            ClusterIndex::from_snapshot_bytes(&data),
            Err(CoreError::Snapshot(_))
        ));
    }

    #[test]
    fn memory_is_accounted() {
        let pairs: Vec<(Key, Key)> = (0..1000).map(|i| (k(2 * i), k(2 * i + 1))).collect();
        let idx = ClusterIndex::build(&pairs).unwrap();
        let mem = idx.memory_bytes();
        assert!(mem >= 2000 * (16 + 20) + 2000 * 8 + 2000 * 5, "{mem}");
        assert!(mem < 2000 * 64, "{mem}");
        assert_eq!(idx.component_count(), 1000);

        let mut grown = ClusterIndex::new();
        grown.link_many(&pairs).unwrap();
        let before = grown.memory_bytes();
        grown.shrink_to_fit();
        check(&grown);
        assert!(grown.memory_bytes() <= before);
        assert_eq!(grown.keys.capacity(), 2000);
        assert_eq!(grown.half.capacity(), 2000);
        assert!(grown.same(&k(0), &k(1)));
    }
}
