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
    let parsed = text.split_once('/').and_then(|(address, bits)| {
        let address: std::net::Ipv4Addr = address.parse().ok()?;
        let bits: u8 = bits.parse().ok().filter(|b| *b <= 32)?;
        Some((address, bits))
    });
    match parsed {
        Some(_) => Ok(()),
        None => Err(format!(
            "{text:?} is not an IPv4 CIDR block: write it like \"10.0.0.0/16\"."
        )),
    }
}
