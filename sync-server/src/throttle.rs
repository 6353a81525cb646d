//! How often one address may try to sign in or enroll, and how many password checks run at
//! once.
//!
//! A password check (argon2) takes about 19 MiB and a good part of a second of one core on
//! purpose: that is what makes a stolen hash expensive to guess. Unbounded, the same cost
//! turns against the server: sixty concurrent wrong sign-ins took it from 33 MiB to over a
//! gigabyte. So at most [`CHECKS_AT_ONCE`] checks run at a time, each in working memory kept
//! for the next ([`CheckTurn::run`]), and a request that waits too long for its turn is told
//! to come back (429 with `Retry-After`). Each address has a bucket
//! of attempts that refills slowly ([`Buckets`]), and only failures keep what they took: a
//! person who mistypes never notices, a script trying names or enrollment codes is slowed to a
//! few tries a minute. The
//! per-name lock (five failures in a row) stays: it is what stops guesses spread over many
//! addresses.
//!
//! The buckets read time from the server's [`Clock`], like everything else, so tests set it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use plumbline_shared::clock::Clock;
use plumbline_shared::time::Timestamp;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::accounts::CheckMemory;

/// Password checks that run at once; the rest wait their turn.
pub const CHECKS_AT_ONCE: usize = 2;

/// How long a sign-in waits for its turn before it is told to come back.
pub const CHECK_WAIT: Duration = Duration::from_secs(5);

/// Most addresses remembered; beyond it the ones with full buckets are forgotten first.
const MAX_ADDRESSES: usize = 10_000;

/// A bucket of attempts per address.
#[derive(Debug)]
pub struct Buckets {
    /// Attempts an address may make in a burst.
    capacity: f64,
    /// One attempt comes back every this many milliseconds.
    refill_ms: f64,
    clock: Clock,
    buckets: Mutex<HashMap<IpAddr, (f64, Timestamp)>>,
}

impl Buckets {
    /// Buckets of `capacity` attempts, one more every `refill`.
    pub fn new(capacity: u32, refill: Duration, clock: Clock) -> Self {
        Self {
            capacity: f64::from(capacity),
            refill_ms: refill.as_millis() as f64,
            clock,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one attempt for `ip`: `Ok` when it may go ahead, else how long until it may.
    pub fn take(&self, ip: IpAddr) -> Result<(), Duration> {
        let now = self.clock.now();
        let mut buckets = self.buckets.lock().expect("buckets poisoned");
        if buckets.len() >= MAX_ADDRESSES && !buckets.contains_key(&ip) {
            let (capacity, refill_ms) = (self.capacity, self.refill_ms);
            buckets.retain(|_, (level, at)| {
                level_now(*level, *at, now, capacity, refill_ms) < capacity
            });
            if buckets.len() >= MAX_ADDRESSES {
                // Every remembered address is busy: a flood from many addresses. Refuse the
                // newcomer rather than forget one that is being slowed down.
                return Err(Duration::from_millis(self.refill_ms as u64));
            }
        }
        let (level, at) = buckets.entry(ip).or_insert((self.capacity, now));
        let current = level_now(*level, *at, now, self.capacity, self.refill_ms);
        if current >= 1.0 {
            *level = current - 1.0;
            *at = now;
            Ok(())
        } else {
            let wait = (1.0 - current) * self.refill_ms;
            Err(Duration::from_millis(wait.ceil() as u64))
        }
    }
}

impl Buckets {
    /// Gives back the attempt `ip` took: it succeeded. Only failures use up an address's
    /// budget, so the office signing in thirty people from behind one router is not slowed;
    /// taking first and giving back after keeps attempts sent at once from all passing.
    pub fn refund(&self, ip: IpAddr) {
        let now = self.clock.now();
        let mut buckets = self.buckets.lock().expect("buckets poisoned");
        if let Some((level, at)) = buckets.get_mut(&ip) {
            *level = (level_now(*level, *at, now, self.capacity, self.refill_ms) + 1.0)
                .min(self.capacity);
            *at = now;
        }
    }
}

fn level_now(level: f64, at: Timestamp, now: Timestamp, capacity: f64, refill_ms: f64) -> f64 {
    let elapsed = (now.0 - at.0).max(0) as f64;
    (level + elapsed / refill_ms).min(capacity)
}

/// The address a request came from (behind a trusted proxy, the address it forwarded: see
/// `crate::forwarded`), when the listener said (`crate::connections` does; a router driven
/// without it, in a unit test, has none and meets no per-address limit).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let client = parts.extensions.get::<crate::forwarded::ClientIp>();
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(Peer(client.map(|c| c.0).or(peer.map(|c| c.0.ip()))))
    }
}

/// The server's limits on sign-ins and enrollments (see the module docs).
#[derive(Debug)]
pub struct Throttle {
    /// Sign-in attempts per address.
    pub sign_ins: Buckets,
    /// Enrollment attempts per address.
    pub enrollments: Buckets,
    checks: Arc<Semaphore>,
    /// The working memory of the checks that may run at once, reused (see
    /// `crate::accounts::CheckMemory`).
    memory: Arc<Mutex<Vec<CheckMemory>>>,
}

/// A turn to check a password: one of the [`CHECKS_AT_ONCE`] places and the working memory
/// that goes with it. The place is held until the check itself has ended ([`Self::run`] moves
/// it into the blocking thread): a request that is dropped mid-check (the client went away, the
/// request timed out) does not free a place while its argon2 still runs.
#[derive(Debug)]
pub struct CheckTurn {
    permit: OwnedSemaphorePermit,
    pool: Arc<Mutex<Vec<CheckMemory>>>,
}

impl CheckTurn {
    /// Runs `check` with this turn's working memory on a blocking thread; the memory goes back
    /// to the pool and the place is freed there, when the check ends.
    pub async fn run<T: Send + 'static>(
        self,
        check: impl FnOnce(&mut CheckMemory) -> T + Send + 'static,
    ) -> Result<T, tokio::task::JoinError> {
        let CheckTurn { permit, pool } = self;
        tokio::task::spawn_blocking(move || {
            let mut memory = pool
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop()
                .unwrap_or_default();
            let value = check(&mut memory);
            let mut kept = pool.lock().unwrap_or_else(PoisonError::into_inner);
            if kept.len() < CHECKS_AT_ONCE {
                kept.push(memory);
            }
            drop(kept);
            drop(permit);
            value
        })
        .await
    }
}

impl Throttle {
    /// The limits Plumbline runs with: 10 sign-ins per address, one more every 6 s; 30
    /// enrollments per address (a site's phones enrolling together behind one router), one
    /// more every 10 s.
    pub fn new(clock: Clock) -> Self {
        Self {
            sign_ins: Buckets::new(10, Duration::from_secs(6), clock.clone()),
            enrollments: Buckets::new(30, Duration::from_secs(10), clock),
            checks: Arc::new(Semaphore::new(CHECKS_AT_ONCE)),
            memory: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// A turn to check a password, or `None` when none came within [`CHECK_WAIT`].
    pub async fn check_turn(&self) -> Option<CheckTurn> {
        let permit = tokio::time::timeout(CHECK_WAIT, Arc::clone(&self.checks).acquire_owned())
            .await
            .ok()?
            .ok()?;
        Some(CheckTurn {
            permit,
            pool: Arc::clone(&self.memory),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plumbline_shared::time::MINUTE_MS;

    #[test]
    fn an_address_gets_its_burst_then_one_attempt_per_refill() {
        let clock = Clock::manual(Timestamp(1_000_000));
        let b = Buckets::new(3, Duration::from_secs(6), clock.clone());
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        for _ in 0..3 {
            b.take(ip).unwrap();
        }
        let wait = b.take(ip).unwrap_err();
        assert_eq!(wait, Duration::from_secs(6));
        // Another address is not slowed by the first.
        b.take("10.0.0.8".parse().unwrap()).unwrap();
        clock.advance(6_000);
        b.take(ip).unwrap();
        assert!(b.take(ip).is_err());
        clock.advance(MINUTE_MS);
        for _ in 0..3 {
            b.take(ip).unwrap();
        }
        // Attempts that succeed give their place back.
        b.refund(ip);
        b.take(ip).unwrap();
        assert!(b.take(ip).is_err());
    }
}
