//! The forms of AWS identifiers and address blocks the resources take as
//! input (`vpc-…`, `subnet-…`, `sg-…`, `rtb-…`, IPv4 CIDR blocks): one
//! validator each, shared by every schema, each error showing the form.

fn check_id(text: &str, prefix: &str, what: &str) -> Result<(), String> {
    let ok = text
        .strip_prefix(prefix)
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{text:?} is not {what} id: it looks like \"{prefix}0123456789abcdef0\"."
        ))
    }
}

/// `vpc-…`.
pub fn check_vpc_id(text: &str) -> Result<(), String> {
    check_id(text, "vpc-", "a VPC")
}

/// `subnet-…`.
pub fn check_subnet_id(text: &str) -> Result<(), String> {
    check_id(text, "subnet-", "a subnet")
}

/// `sg-…`.
pub fn check_security_group_id(text: &str) -> Result<(), String> {
    check_id(text, "sg-", "a security group")
}

/// `rtb-…`.
pub fn check_route_table_id(text: &str) -> Result<(), String> {
    check_id(text, "rtb-", "a route table")
}

/// An IPv4 CIDR block such as `10.0.0.0/16`.
pub fn check_cidr(text: &str) -> Result<(), String> {
    let Some((address, bits)) = parse_cidr(text) else {
        return Err(format!(
            "{text:?} is not an IPv4 CIDR block: write it like \"10.0.0.0/16\"."
        ));
    };
    let network = address & netmask(bits);
    if network != address {
        return Err(format!(
            "{text:?} has host bits set: the block it stands for is \"{}/{bits}\". Write that \
             (EC2 would store it so, and the plan would differ from AWS every time).",
            std::net::Ipv4Addr::from(network)
        ));
    }
    Ok(())
}

/// An IPv4 CIDR block as (address, prefix length); `None` when malformed.
pub fn parse_cidr(text: &str) -> Option<(u32, u8)> {
    let (address, bits) = text.split_once('/')?;
    let address: std::net::Ipv4Addr = address.parse().ok()?;
    let bits: u8 = bits
        .parse()
        .ok()
        .filter(|b| *b <= crate::limits::MAX_IPV4_PREFIX)?;
    Some((u32::from(address), bits))
}

fn netmask(bits: u8) -> u32 {
    u32::MAX
        .checked_shl(u32::from(crate::limits::MAX_IPV4_PREFIX - bits))
        .unwrap_or(0)
}

/// True when the IPv4 block `outer` contains the block `inner` (both CIDR
/// text; false when either is malformed).
pub fn cidr_contains(outer: &str, inner: &str) -> bool {
    match (parse_cidr(outer), parse_cidr(inner)) {
        (Some((outer, outer_bits)), Some((inner, inner_bits))) => {
            outer_bits <= inner_bits && (outer ^ inner) & netmask(outer_bits) == 0
        }
        _ => false,
    }
}

/// True when `blocks` together cover every IPv4 address — `0.0.0.0/0` in
/// any form (`0.0.0.0/1` with `128.0.0.0/1`, say). Malformed blocks count
/// for nothing.
pub fn covers_every_address(blocks: &[String]) -> bool {
    let mut ranges: Vec<(u64, u64)> = blocks
        .iter()
        .filter_map(|b| parse_cidr(b))
        .map(|(address, bits)| {
            let start = u64::from(address & netmask(bits));
            (start, start + (1u64 << (32 - bits)))
        })
        .collect();
    ranges.sort_unstable();
    let mut covered = 0u64;
    for (start, end) in ranges {
        if start > covered {
            return false;
        }
        covered = covered.max(end);
    }
    covered == 1u64 << 32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(list: &[&str]) -> Vec<String> {
        list.iter().map(|b| b.to_string()).collect()
    }

    #[test]
    fn cidr_blocks_must_be_network_addresses() {
        assert!(check_cidr("10.0.0.0/16").is_ok());
        assert!(check_cidr("0.0.0.0/0").is_ok());
        assert!(check_cidr("10.0.0.1/32").is_ok());
        let err = check_cidr("10.0.0.1/16").unwrap_err();
        assert!(err.contains("\"10.0.0.0/16\""), "{err}");
        for bad in ["10.0.0.0", "10.0.0.0/33", "10.0.0/8", "x/8"] {
            assert!(check_cidr(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn anywhere_in_any_form() {
        assert!(covers_every_address(&blocks(&["0.0.0.0/0"])));
        assert!(covers_every_address(&blocks(&["0.0.0.0/1", "128.0.0.0/1"])));
        assert!(covers_every_address(&blocks(&[
            "128.0.0.0/1",
            "0.0.0.0/2",
            "64.0.0.0/2",
            "10.0.0.0/8"
        ])));
        assert!(!covers_every_address(&blocks(&["0.0.0.0/1"])));
        assert!(!covers_every_address(&blocks(&[
            "0.0.0.0/1",
            "128.0.0.0/2"
        ])));
        assert!(!covers_every_address(&blocks(&[
            "10.0.0.0/8",
            "192.168.0.0/16"
        ])));
        assert!(!covers_every_address(&[]));
    }
}
