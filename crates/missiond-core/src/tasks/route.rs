//! Which queued task goes to which idle slot: a pure function of the queue and the slots.
//!
//! Rules, in order: a task naming a slot waits for that slot only; a task naming a role
//! takes the first idle slot of that role (in configuration order); a task naming
//! neither takes the first idle slot. Tasks are considered by priority (higher first),
//! then arrival; a task that cannot be placed waits without holding back the tasks
//! behind it. Each slot takes at most one task.

use super::{Task, TaskId, TaskStatus};

/// A configured slot as the router sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotView {
    /// The slot's id.
    pub slot_id: String,
    /// Its role.
    pub role: String,
    /// Running, waiting for a prompt, and not holding a task (nor an autonomous goal).
    pub idle: bool,
}

impl SlotView {
    /// A slot view.
    pub fn new(slot_id: impl Into<String>, role: impl Into<String>, idle: bool) -> SlotView {
        SlotView {
            slot_id: slot_id.into(),
            role: role.into(),
            idle,
        }
    }

    /// Whether task `t` may run on this slot (ignoring whether it is idle). A `memory`
    /// slot takes only tasks that name it or its role.
    pub fn accepts(&self, t: &Task) -> bool {
        match (&t.slot_id, &t.role) {
            (Some(slot), _) => *slot == self.slot_id,
            (None, Some(role)) => *role == self.role,
            // The memory slot extracts knowledge between turns of the others: a task
            // that names neither slot nor role is never routed to it.
            (None, None) => self.role != crate::catalogue::MEMORY_ROLE,
        }
    }
}

/// Send task `task_id` to slot `slot_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The task.
    pub task_id: TaskId,
    /// The slot.
    pub slot_id: String,
}

/// The assignments to make now. Only `Queued` tasks are considered, whatever the order of
/// `queued`; slots are tried in the order given.
///
/// When a task could take several slots, it takes the first one no task behind it is
/// waiting for (pinned to it, or, for a task naming no role, of a role some task behind
/// it needs), so a flexible task does not take the one slot a later task can use.
pub fn route(queued: &[Task], slots: &[SlotView]) -> Vec<Assignment> {
    let mut order: Vec<&Task> = queued
        .iter()
        .filter(|t| t.status == TaskStatus::Queued)
        .collect();
    order.sort_by_key(|t| (std::cmp::Reverse(t.priority), t.id));
    let mut demand = Demand::of(&order, slots);
    let mut free: Vec<bool> = slots.iter().map(|s| s.idle).collect();
    let mut out = Vec::new();
    for task in order {
        if !free.contains(&true) {
            break;
        }
        demand.remove(task, slots);
        let pick = slots
            .iter()
            .enumerate()
            .filter(|(i, s)| free[*i] && s.accepts(task))
            .min_by_key(|(i, s)| {
                let pinned = demand.pinned[*i] > 0;
                let role = task.role.is_none() && demand.role(&s.role) > 0;
                (pinned, role)
            });
        if let Some((i, slot)) = pick {
            free[i] = false;
            out.push(Assignment {
                task_id: task.id,
                slot_id: slot.slot_id.clone(),
            });
        }
    }
    out
}

/// What the tasks not yet considered ask for.
struct Demand {
    /// Per slot (by index): tasks pinned to it.
    pinned: Vec<usize>,
    /// Per role: tasks naming it (and no slot).
    roles: Vec<(String, usize)>,
}

impl Demand {
    fn of(tasks: &[&Task], slots: &[SlotView]) -> Demand {
        let mut d = Demand {
            pinned: vec![0; slots.len()],
            roles: Vec::new(),
        };
        for t in tasks {
            d.change(t, slots, true);
        }
        d
    }

    fn remove(&mut self, t: &Task, slots: &[SlotView]) {
        self.change(t, slots, false);
    }

    fn change(&mut self, t: &Task, slots: &[SlotView], add: bool) {
        let bump = |n: &mut usize| *n = if add { *n + 1 } else { n.saturating_sub(1) };
        match (&t.slot_id, &t.role) {
            (Some(slot), _) => {
                if let Some(i) = slots.iter().position(|s| s.slot_id == *slot) {
                    bump(&mut self.pinned[i]);
                }
            }
            (None, Some(role)) => match self.roles.iter_mut().find(|(r, _)| r == role) {
                Some((_, n)) => bump(n),
                None if add => self.roles.push((role.clone(), 1)),
                None => {}
            },
            (None, None) => {}
        }
    }

    fn role(&self, role: &str) -> usize {
        self.roles
            .iter()
            .find(|(r, _)| r == role)
            .map_or(0, |(_, n)| *n)
    }
}

#[cfg(test)]
mod tests;
