//! The connection, opened on first use (`completions`, `man` and `--print-xml` need
//! none), and the look-ups every command starts with, each a logged library call.

use std::cell::OnceCell;

use kvmpool_core::{Connection, Pool, Result, Volume};

pub struct Ctx {
    uri: Option<String>,
    conn: OnceCell<Connection>,
}

impl Ctx {
    pub fn new(uri: Option<String>) -> Ctx {
        Ctx {
            uri,
            conn: OnceCell::new(),
        }
    }

    /// The connection: `-c URI`, or libvirt's default.
    pub fn conn(&self) -> Result<&Connection> {
        if let Some(c) = self.conn.get() {
            return Ok(c);
        }
        let conn = match &self.uri {
            Some(uri) => Connection::open(uri)?,
            None => Connection::open_default()?,
        };
        Ok(self.conn.get_or_init(|| conn))
    }

    /// The pool a POOL argument names (name or UUID).
    pub fn pool(&self, pool: &str) -> Result<Pool> {
        let conn = self.conn()?;
        conn.lookup_pool(pool)
    }

    /// The volume a VOL argument names: a name in `pool`, a key, or a path.
    pub fn volume(&self, vol: &str, pool: Option<&str>) -> Result<Volume> {
        let pool = pool.map(|p| self.pool(p)).transpose()?;
        let conn = self.conn()?;
        conn.lookup_volume(vol, pool.as_ref())
    }
}
