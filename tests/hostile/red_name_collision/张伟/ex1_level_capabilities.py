# submitted by 张伟: a different student from the other three folders here
WHO = "张伟"
