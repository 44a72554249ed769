# submitted by 李娜: a different student from the other three folders here
WHO = "李娜"
