//! `b-000123` ids of board tasks.

crate::questions::id::prefixed_id!(
    BoardTaskId,
    BadBoardTaskId,
    "b-",
    "board task",
    "^b-[0-9]+$"
);
