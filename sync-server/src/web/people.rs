//! People as the office names them: "陈静（前台接待员）", the display name and the role the
//! person acted in, never a login. A login is shown only for an account that no longer
//! exists (its name is gone with it); the server's own entries read "系统".

use std::collections::BTreeMap;

use plumbline_shared::ids::UserId;
use plumbline_shared::role::Actor;

use super::i18n::Lang;

/// The user id the server writes its own events under (see `crate::state::server_actor`).
const SERVER_USER: &str = "plumbline-server";

/// Who did something: the person's display name and, in brackets, the role they acted in.
pub fn acting(names: &BTreeMap<UserId, String>, actor: &Actor, lang: Lang) -> String {
    if actor.user.as_str() == SERVER_USER {
        return lang.pick("系统", "System").to_owned();
    }
    let name = names
        .get(&actor.user)
        .map_or(actor.user.as_str(), String::as_str);
    match lang {
        Lang::Zh => format!("{name}（{}）", actor.role.label_zh()),
        Lang::En => format!("{name} ({})", actor.role.label_en()),
    }
}

#[cfg(test)]
mod tests {
    use plumbline_shared::role::Role;

    use super::*;

    fn actor(user: &str, role: Role) -> Actor {
        Actor {
            user: UserId::new(user).unwrap(),
            role,
            device: "phone-1".parse().unwrap(),
        }
    }

    #[test]
    fn a_person_is_named_with_their_role_and_the_server_as_the_system() {
        let names = BTreeMap::from([(UserId::new("chenjing").unwrap(), "陈静".to_owned())]);
        let desk = actor("chenjing", Role::FrontDesk);
        assert_eq!(acting(&names, &desk, Lang::Zh), "陈静（前台接待员）");
        assert_eq!(acting(&names, &desk, Lang::En), "陈静 (Front desk)");
        let gone = actor("leftlast", Role::Inspector);
        assert_eq!(acting(&names, &gone, Lang::Zh), "leftlast（投诉代表）");
        let server = actor(SERVER_USER, Role::Admin);
        assert_eq!(acting(&names, &server, Lang::Zh), "系统");
    }
}
