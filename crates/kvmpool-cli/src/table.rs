//! Tables as virsh prints them (its vsh-table): every cell after one space, columns
//! padded to their widest cell plus two, the last column unpadded, and under the
//! header a line of dashes as wide as the columns plus three each.

/// The table with `header` and `rows`, ending in a newline.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let cells: Vec<&str> = cells.collect();
        for (i, cell) in cells.iter().enumerate() {
            out.push(' ');
            out.push_str(cell);
            if i + 1 < cells.len() {
                out.extend(std::iter::repeat_n(' ', widths[i] - width(cell) + 2));
            }
        }
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    let dashes: usize = widths.iter().map(|w| w + 3).sum();
    let header_end = out.find('\n').expect("the header line") + 1;
    out.insert_str(header_end, &format!("{}\n", "-".repeat(dashes)));
    out
}

#[cfg(test)]
mod tests {
    /// What virsh 9.0 printed for `pool-list` on the live host.
    #[test]
    fn as_virsh_prints_it() {
        let rows = vec![
            vec!["clitry".to_owned(), "active".to_owned(), "no".to_owned()],
            vec!["expimport".to_owned(), "active".to_owned(), "no".to_owned()],
        ];
        let want = " Name        State    Autostart\n\
                    ---------------------------------\n \
                    clitry      active   no\n \
                    expimport   active   no\n";
        assert_eq!(super::render(&["Name", "State", "Autostart"], &rows), want);
    }
}
