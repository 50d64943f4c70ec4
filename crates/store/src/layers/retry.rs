//! Retries of transient failures (5xx, throttling, connection resets, timeouts) with
//! exponential backoff and full jitter.
//!
//! [`RetryStore`] wraps any store; [`Backoff`] is the loop state that backends use for
//! steps a whole-operation retry cannot redo (multipart parts).

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};

use crate::error::{Error, Result};
use crate::options::RetryOptions;
use crate::store::{
    Capabilities, ListEntry, ListMode, ObjectMeta, ObjectWriter, PutResult, Store, WriterOptions,
};

/// The state of one retried operation.
#[derive(Debug)]
pub struct Backoff {
    opts: RetryOptions,
    attempt: u32,
}

impl Backoff {
    pub fn new(opts: &RetryOptions) -> Backoff {
        Backoff {
            opts: opts.clone(),
            attempt: 1,
        }
    }

    /// The delay before retry number `attempt` (1-based): uniform in [0, min(max, initial·2^(attempt-1))].
    pub fn delay(opts: &RetryOptions, attempt: u32) -> Duration {
        let exp = opts
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let cap = exp.min(opts.max_backoff);
        cap.mul_f64(fastrand::f64())
    }

    /// If `err` is temporary and attempts remain, sleeps and returns `true`.
    pub async fn wait_before_retry(&mut self, err: &Error) -> bool {
        if !err.is_temporary() || self.attempt >= self.opts.max_attempts {
            return false;
        }
        let d = Backoff::delay(&self.opts, self.attempt);
        tracing::debug!(
            uri = err.uri(),
            attempt = self.attempt,
            delay_ms = d.as_millis() as u64,
            error = %crate::redact::userinfo(&crate::error::chain(err)),
            "retrying"
        );
        tokio::time::sleep(d).await;
        self.attempt += 1;
        true
    }

    /// The final error, recording how many attempts were made.
    pub fn give_up(&self, err: Error) -> Error {
        match err {
            Error::Transient { uri, source, .. } => Error::Transient {
                uri,
                attempts: self.attempt,
                source,
            },
            other => other,
        }
    }
}

/// Runs `op` until it succeeds, fails permanently, or attempts run out.
pub async fn retry<T, F, Fut>(opts: &RetryOptions, mut op: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut backoff = Backoff::new(opts);
    loop {
        match crate::record::attempt(backoff.attempt, op()).await {
            Err(e) if backoff.wait_before_retry(&e).await => {}
            Err(e) => return Err(backoff.give_up(e)),
            ok => return ok,
        }
    }
}

/// A store whose operations are retried on transient failures.
#[derive(Debug)]
pub struct RetryStore {
    inner: Arc<dyn Store>,
    opts: RetryOptions,
}

impl RetryStore {
    pub fn new(inner: Arc<dyn Store>, opts: RetryOptions) -> RetryStore {
        RetryStore { inner, opts }
    }
}

#[async_trait]
impl Store for RetryStore {
    fn root(&self) -> &str {
        self.inner.root()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn get_opts(&self, key: &str, range: Option<Range<u64>>) -> Result<Bytes> {
        retry(&self.opts, || self.inner.get_opts(key, range.clone())).await
    }

    async fn get_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut backoff = Backoff::new(&self.opts);
        loop {
            let attempt = crate::record::attempt(backoff.attempt, self.inner.get_into(key, offset, buf));
            match attempt.await {
                Err(e) if backoff.wait_before_retry(&e).await => {}
                Err(e) => return Err(backoff.give_up(e)),
                ok => return ok,
            }
        }
    }

    async fn get_whole_into(&self, key: &str, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut backoff = Backoff::new(&self.opts);
        loop {
            let attempt =
                crate::record::attempt(backoff.attempt, self.inner.get_whole_into(key, offset, buf));
            match attempt.await {
                Err(e) if backoff.wait_before_retry(&e).await => {}
                Err(e) => return Err(backoff.give_up(e)),
                ok => return ok,
            }
        }
    }

    async fn put(&self, key: &str, data: Bytes) -> Result<PutResult> {
        retry(&self.opts, || self.inner.put(key, data.clone())).await
    }

    async fn writer(&self, key: &str, opts: WriterOptions) -> Result<Box<dyn ObjectWriter>> {
        // Parts are retried inside the backend's writer.
        retry(&self.opts, || self.inner.writer(key, opts)).await
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        retry(&self.opts, || self.inner.head(key)).await
    }

    /// A listing is restarted only while it has produced nothing; later errors are returned.
    fn list(&self, prefix: &str, mode: ListMode) -> BoxStream<'_, Result<ListEntry>> {
        let prefix = prefix.to_string();
        let state = (self.inner.list(&prefix, mode), Backoff::new(&self.opts), false);
        Box::pin(futures::stream::unfold(
            state,
            move |(mut s, mut backoff, mut started)| {
                let prefix = prefix.clone();
                async move {
                    loop {
                        match s.next().await {
                            Some(Err(e)) if !started && backoff.wait_before_retry(&e).await => {
                                s = self.inner.list(&prefix, mode);
                            }
                            Some(Err(e)) => {
                                let e = backoff.give_up(e);
                                return Some((Err(e), (s, backoff, true)));
                            }
                            Some(Ok(item)) => {
                                started = true;
                                return Some((Ok(item), (s, backoff, started)));
                            }
                            None => return None,
                        }
                    }
                }
            },
        ))
    }

    async fn delete(&self, key: &str) -> Result<()> {
        retry(&self.opts, || self.inner.delete(key)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast(max_attempts: u32) -> RetryOptions {
        RetryOptions {
            max_attempts,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(4),
        }
    }

    fn transient() -> Error {
        Error::Transient {
            uri: "s3://b/k".into(),
            attempts: 1,
            source: "503 SlowDown".into(),
        }
    }

    #[tokio::test]
    async fn retries_transient_then_succeeds() {
        let calls = AtomicU32::new(0);
        let r = retry(&fast(5), || async {
            if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                Err(transient())
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(r.expect("third attempt succeeds"), 7);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts_and_says_so() {
        let calls = AtomicU32::new(0);
        let r: Result<()> = retry(&fast(3), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(transient())
        })
        .await;
        let e = r.expect_err("always fails");
        assert!(matches!(e, Error::Transient { attempts: 3, .. }), "{e:?}");
        assert!(e.to_string().contains("after 3 attempt"), "{e}");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn permanent_errors_are_not_retried() {
        let calls = AtomicU32::new(0);
        let r: Result<()> = retry(&fast(5), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Error::NotFound {
                uri: "s3://b/k".into(),
                source: None,
            })
        })
        .await;
        assert!(r.expect_err("fails").is_not_found());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let opts = RetryOptions {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
        };
        for attempt in 1..10 {
            let cap = (100u64 << (attempt - 1)).min(1000);
            for _ in 0..50 {
                assert!(Backoff::delay(&opts, attempt) <= Duration::from_millis(cap));
            }
        }
    }
}
